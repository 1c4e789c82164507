package store

import (
	"context"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// guildPurgesBucket is the durable queue of servers whose data must be
// deleted: key = server id, value = when it was queued (RFC 3339). A server
// stays queued until PurgeGuild succeeded, so a purge interrupted by a
// crash or a failure is retried at the next start. The bucket is created
// on first use: files written before it existed simply have no queue.
const guildPurgesBucket = "guild_purges"

// StoredGuilds returns the ids of the servers the database holds anything
// about (statistics, records or a configuration), sorted.
func (db *DB) StoredGuilds(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketGuilds); b != nil {
			if err := b.ForEach(func(k, _ []byte) error { seen[string(k)] = true; return nil }); err != nil {
				return err
			}
		}
		scopes := tx.Bucket(bucketScopes)
		if scopes == nil {
			return nil
		}
		return scopes.ForEachBucket(func(k []byte) error {
			// v2 keeps no user-in-server scope: every evaluation made in
			// a server counts in that server's own scope.
			if len(k) > 1 && k[0] == 'g' {
				seen[string(k[1:])] = true
			}
			return nil
		})
	})
	if err != nil {
		return nil, storeError("stored guilds", err)
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}

// QueueGuildPurges records, durably, that these servers' data must be
// deleted.
func (db *DB) QueueGuildPurges(ctx context.Context, guildIDs ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, id := range guildIDs {
		if id == "" {
			return invalid("A server id is required.")
		}
	}
	now := []byte(db.now().UTC().Format(time.RFC3339))
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(guildPurgesBucket))
		if err != nil {
			return err
		}
		for _, id := range guildIDs {
			if b.Get([]byte(id)) == nil {
				if err := b.Put([]byte(id), now); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return storeError("queue guild purges", err)
}

// QueuedGuildPurges returns the servers whose purge is still to be done,
// sorted.
func (db *DB) QueuedGuildPurges(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(guildPurgesBucket))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, _ []byte) error { out = append(out, string(k)); return nil })
	})
	return out, storeError("queued guild purges", err)
}

// PurgeQueuedGuild deletes a queued server's data (PurgeGuild) and then
// takes it off the queue; on failure it stays queued.
func (db *DB) PurgeQueuedGuild(ctx context.Context, guildID string) error {
	if err := db.PurgeGuild(ctx, guildID); err != nil {
		return err
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte(guildPurgesBucket)); b != nil {
			return b.Delete([]byte(guildID))
		}
		return nil
	})
	return storeError("dequeue guild purge", err)
}

// UnqueueGuildPurge takes a server off the queue without deleting anything:
// the bot was added back before its purge ran.
func (db *DB) UnqueueGuildPurge(ctx context.Context, guildID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte(guildPurgesBucket)); b != nil {
			return b.Delete([]byte(guildID))
		}
		return nil
	})
	return storeError("unqueue guild purge", err)
}
