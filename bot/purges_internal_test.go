package bot

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/digitbot/digitbot"
)

// TestInShard: Discord's rule, (guild_id >> 22) % num_shards == shard_id,
// so a READY of one shard does not make the other shards' servers look
// removed.
func TestInShard(t *testing.T) {
	t.Parallel()
	const id = "1200000000000000001" // >> 22 = 286102294387
	home := int((uint64(1200000000000000001) >> 22) % 4)
	for shard := range 4 {
		if got := inShard(id, shard, 4); got != (shard == home) {
			t.Errorf("shard %d of 4: %v, want %v", shard, got, shard == home)
		}
	}
	if !inShard(id, 0, 1) || !inShard(id, 0, 0) {
		t.Error("one shard holds every server")
	}
	if inShard("not-a-snowflake", 0, 2) {
		t.Error("an id that is no snowflake was placed in a shard")
	}
}

// flakyPurgeStore fails its first purges, then works.
type flakyPurgeStore struct {
	digitbot.Store // not called
	mu             sync.Mutex
	queue          []string
	failures       int
	purged         []string
}

func (f *flakyPurgeStore) StoredGuilds(context.Context) ([]string, error) { return nil, nil }
func (f *flakyPurgeStore) QueueGuildPurges(_ context.Context, ids ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append(f.queue, ids...)
	return nil
}
func (f *flakyPurgeStore) QueuedGuildPurges(context.Context) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.queue), nil
}
func (f *flakyPurgeStore) PurgeQueuedGuild(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failures > 0 {
		f.failures--
		return errors.New("disk full")
	}
	f.purged = append(f.purged, id)
	f.queue = slices.DeleteFunc(f.queue, func(q string) bool { return q == id })
	return nil
}
func (f *flakyPurgeStore) UnqueueGuildPurge(context.Context, string) error { return nil }

// TestDrainPurges_FailureStaysQueuedAndIsRetried: a purge that fails stays
// in the queue and a retry is scheduled, with a growing delay; the next
// drain purges it and resets the delay.
func TestDrainPurges_FailureStaysQueuedAndIsRetried(t *testing.T) {
	t.Parallel()
	fs := &flakyPurgeStore{queue: []string{"111"}, failures: 2}
	b := &Bot{store: fs, erase: newErasures(), log: slog.New(slog.DiscardHandler)}
	b.workCtx, b.workCancel = context.WithCancel(context.Background())
	b.reconnectCtx, b.stopReconnect = context.WithCancel(context.Background())
	defer b.workCancel()
	defer b.stopReconnect() // ends the scheduled retries' waits

	b.drainPurges()
	if q, _ := fs.QueuedGuildPurges(context.Background()); !slices.Equal(q, []string{"111"}) {
		t.Fatalf("queue after a failed purge = %v, want [111]", q)
	}
	if b.purges.retry != purgeRetryFirst || !b.purges.pending {
		t.Errorf("after a failure: retry in %v, scheduled %v; want %v, true", b.purges.retry, b.purges.pending, purgeRetryFirst)
	}
	// A second failure before the retry fired: still one retry scheduled,
	// the delay unchanged until it runs.
	b.drainPurges()
	if !b.purges.pending {
		t.Error("no retry scheduled after the second failure")
	}
	b.drainPurges()
	if len(fs.purged) != 1 || fs.purged[0] != "111" {
		t.Errorf("purged %v after the store recovered, want [111]", fs.purged)
	}
	if q, _ := fs.QueuedGuildPurges(context.Background()); len(q) != 0 {
		t.Errorf("queue after the purge = %v", q)
	}
	if b.purges.retry != 0 {
		t.Errorf("retry delay not reset after success: %v", b.purges.retry)
	}
}
