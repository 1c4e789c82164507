package store

import (
	"slices"
	"testing"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/internal/storetest"
)

// TestStore_GuildPurgeQueue: the servers with data are listed; a queued
// purge survives reopening the file, deletes the server's data when run
// and leaves the queue; other servers and DMs are untouched.
func TestStore_GuildPurgeQueue(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/digitbot.db"
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []digitbot.Prediction{storetest.Pred("111", "222", 3, 0.9), storetest.Pred("444", "222", 4, 0.8), storetest.Pred("", "222", 5, 0.7)} {
		p = storetest.MustSave(t, db, p)
		if _, err := db.Evaluate(bg, p.ID, "222", p.Digit); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SetGuildConfig(bg, digitbot.GuildConfig{GuildID: "777", Threshold: 0.8}); err != nil {
		t.Fatal(err)
	}
	got, err := db.StoredGuilds(bg)
	if err != nil || !slices.Equal(got, []string{"111", "444", "777"}) {
		t.Fatalf("StoredGuilds = %v, %v; want [111 444 777]", got, err)
	}
	if err := db.QueueGuildPurges(bg, "111", "777"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// Durable: a restart finds the queue.
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	queued, err := db.QueuedGuildPurges(bg)
	if err != nil || !slices.Equal(queued, []string{"111", "777"}) {
		t.Fatalf("queue after reopening = %v, %v", queued, err)
	}
	for _, id := range queued {
		if err := db.PurgeQueuedGuild(bg, id); err != nil {
			t.Fatal(err)
		}
	}
	if queued, _ := db.QueuedGuildPurges(bg); len(queued) != 0 {
		t.Errorf("queue after purging = %v, want empty", queued)
	}
	if got, _ := db.StoredGuilds(bg); !slices.Equal(got, []string{"444"}) {
		t.Errorf("StoredGuilds after purging = %v, want [444]", got)
	}
	if s, _ := db.Stats(bg, digitbot.Scope{UserID: "222"}); s.Total != 2 {
		t.Errorf("user 222 has %d evaluations left, want 2 (server 444 and the DM)", s.Total)
	}
	MustCheck(t, db)
	// Unqueue without purging.
	if err := db.QueueGuildPurges(bg, "444"); err != nil {
		t.Fatal(err)
	}
	if err := db.UnqueueGuildPurge(bg, "444"); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.StoredGuilds(bg); !slices.Equal(got, []string{"444"}) {
		t.Errorf("unqueueing deleted data: %v", got)
	}
	wantCode(t, db.QueueGuildPurges(bg, ""), digitbot.EINVALID)
}
