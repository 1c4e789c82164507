package bot

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// guildPurgeStore is what a store offers, beyond digitbot.Store, to purge
// servers the bot was removed from while it was offline (no GUILD_DELETE
// ever reaches it then) and to retry purges that failed. The bbolt store
// has it; a store without it only gets the purges of GUILD_DELETE.
type guildPurgeStore interface {
	StoredGuilds(ctx context.Context) ([]string, error)
	QueueGuildPurges(ctx context.Context, guildIDs ...string) error
	QueuedGuildPurges(ctx context.Context) ([]string, error)
	PurgeQueuedGuild(ctx context.Context, guildID string) error
	UnqueueGuildPurge(ctx context.Context, guildID string) error
}

// Retry delays for purges that failed: the first after a minute, doubling
// up to an hour, and at every start.
const (
	purgeRetryFirst = time.Minute
	purgeRetryMax   = time.Hour
)

// purges runs the queued purges one drain at a time and schedules retries.
type purges struct {
	mu    sync.Mutex // one drain at a time
	retry time.Duration

	scheduled sync.Mutex // guards pending
	pending   bool       // a retry is scheduled
}

// onReadyGuilds reconciles the stored servers with the READY's list: the
// servers this shard is in, available or not (an outage is not a
// removal). Stored servers of this shard missing from it were left while
// the bot was offline: their purge is queued, then every queued purge
// runs. A queued server the bot is in again is taken off the queue.
func (b *Bot) onReadyGuilds(member map[string]bool, shard, shards int) {
	q, ok := b.store.(guildPurgeStore)
	if !ok {
		return
	}
	ctx := b.workCtx
	stored, err := q.StoredGuilds(ctx)
	if err != nil {
		b.log.Error("listing the stored servers failed; removed servers are not purged now", "err", err.Error())
		return
	}
	var gone []string
	for _, id := range stored {
		if !member[id] && inShard(id, shard, shards) {
			gone = append(gone, id)
		}
	}
	if len(gone) > 0 {
		b.log.Info("servers left while offline; purging their data", "count", len(gone))
		if err := q.QueueGuildPurges(ctx, gone...); err != nil {
			b.log.Error("queueing purges failed", "err", err.Error())
		}
	}
	queued, err := q.QueuedGuildPurges(ctx)
	if err != nil {
		b.log.Error("reading the purge queue failed", "err", err.Error())
		return
	}
	for _, id := range queued {
		if member[id] {
			if err := q.UnqueueGuildPurge(ctx, id); err != nil {
				b.log.Error("unqueueing a purge failed", "guild_id", id, "err", err.Error())
			}
		}
	}
	b.drainPurges()
}

// inShard reports whether a server belongs to shard of shards, by
// Discord's rule: (guild_id >> 22) % num_shards == shard_id. A READY
// lists only its shard's servers, so the others must not look removed.
func inShard(guildID string, shard, shards int) bool {
	if shards <= 1 {
		return true
	}
	id, err := strconv.ParseUint(guildID, 10, 64)
	if err != nil {
		return false
	}
	return int((id>>22)%uint64(shards)) == shard
}

// queueGuildPurge queues one removed server's purge (GUILD_DELETE) and runs
// the queue.
func (b *Bot) queueGuildPurge(guildID string) {
	if q, ok := b.store.(guildPurgeStore); ok {
		if err := q.QueueGuildPurges(b.workCtx, guildID); err != nil {
			b.log.Error("queueing a purge failed; purging directly", "guild_id", guildID, "err", err.Error())
		} else {
			b.drainPurges()
			return
		}
	}
	ctx, cancel := context.WithTimeout(b.workCtx, messageAnswerLifetime)
	defer cancel()
	err := b.erase.erase(ctx, guildKey(guildID), func() error { return b.store.PurgeGuild(b.workCtx, guildID) })
	if err != nil {
		b.log.Error("purging a removed server's data failed", "guild_id", guildID, "err", err.Error())
		return
	}
	b.log.Info("removed from a server; its data was deleted", "guild_id", guildID)
}

// drainPurges runs every queued purge; the ones that fail stay queued and
// are retried later.
func (b *Bot) drainPurges() {
	q, ok := b.store.(guildPurgeStore)
	if !ok {
		return
	}
	b.purges.mu.Lock()
	defer b.purges.mu.Unlock()
	queued, err := q.QueuedGuildPurges(b.workCtx)
	if err != nil {
		b.log.Error("reading the purge queue failed", "err", err.Error())
		b.schedulePurgeRetry()
		return
	}
	failed := false
	for _, id := range queued {
		ctx, cancel := context.WithTimeout(b.workCtx, messageAnswerLifetime)
		err := b.erase.erase(ctx, guildKey(id), func() error { return q.PurgeQueuedGuild(b.workCtx, id) })
		cancel()
		if err != nil {
			failed = true
			b.log.Error("purging a removed server's data failed; it stays queued", "guild_id", id, "err", err.Error())
			continue
		}
		b.log.Info("removed from a server; its data was deleted", "guild_id", id)
	}
	if failed {
		b.schedulePurgeRetry()
	} else {
		b.purges.retry = 0
	}
}

// schedulePurgeRetry runs the queue again after a growing delay, unless a
// retry is already scheduled or the bot stops first. The wait is not
// tracked work, so it does not hold up a shutdown.
func (b *Bot) schedulePurgeRetry() {
	b.purges.scheduled.Lock()
	if b.purges.pending {
		b.purges.scheduled.Unlock()
		return
	}
	b.purges.pending = true
	b.purges.scheduled.Unlock()
	// Called with purges.mu held: retry is ours.
	b.purges.retry = min(max(2*b.purges.retry, purgeRetryFirst), purgeRetryMax)
	wait := b.purges.retry
	stop := b.reconnectCtx
	go func() {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-stop.Done():
		}
		b.purges.scheduled.Lock()
		b.purges.pending = false
		b.purges.scheduled.Unlock()
		if stop.Err() == nil {
			b.track("purge_retry", b.drainPurges)
		}
	}()
}
