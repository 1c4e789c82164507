package store

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/internal/digitbottest"
	"github.com/digitbot/digitbot/internal/storetest"
	bolt "go.etcd.io/bbolt"
)

// checkBackup opens a backup file, runs tx.Check and verifies that every
// scope's aggregates agree with its records.
func checkBackup(t *testing.T, path string) int {
	t.Helper()
	db, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("backup %s does not open: %v", path, err)
	}
	defer db.Close()
	MustCheck(t, db)
	var n int
	db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPredictions).ForEach(func(k, v []byte) error {
			if recordEvaluated(v) {
				n++
			}
			return nil
		})
	})
	s, err := db.Stats(bg, digitbot.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Total != n {
		t.Fatalf("backup %s: stats count %d evaluations, records %d", path, s.Total, n)
	}
	return n
}

func TestStore_Backup_DuringConcurrentWrites(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	ctx, cancel := context.WithCancel(bg)
	var written atomic.Int64
	// progress is signalled after writes, so the backups below wait on
	// the writers instead of polling the count.
	progress := make(chan struct{}, 1)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				p := storetest.Pred(testGuilds[w%3], testUsers[w], i%10, 0.6)
				if err := db.SavePrediction(bg, &p); err != nil {
					t.Error(err)
					return
				}
				if _, err := db.Evaluate(bg, p.ID, p.UserID, (i*3)%10); err != nil {
					t.Error(err)
					return
				}
				written.Add(1)
				select {
				case progress <- struct{}{}:
				default:
				}
			}
		}()
	}
	dir := t.TempDir()
	counts := []int{}
	for i := range 5 {
		for written.Load() < int64(20*(i+1)) && !t.Failed() {
			<-progress
		}
		path := filepath.Join(dir, "b"+string(rune('0'+i))+".db")
		if err := db.BackupFile(path); err != nil {
			t.Fatal(err)
		}
		counts = append(counts, checkBackup(t, path))
	}
	cancel()
	wg.Wait()
	if counts[len(counts)-1] < 100 {
		t.Fatalf("backups hold %v evaluations: writes did not run alongside", counts)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
}

func TestStore_BackupNow_KeepsNewest(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	db := MustOpenDBWith(t, Options{Now: clock.Now})
	dir := filepath.Join(t.TempDir(), "backups")
	storetest.MustSave(t, db, storetest.Pred("", "222", 1, 0.5))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	unrelated := filepath.Join(dir, "notes.txt")
	os.WriteFile(unrelated, []byte("keep me"), 0o600)
	var paths []string
	for range 5 {
		p, err := db.BackupNow(dir, 3)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		clock.Add(time.Hour)
	}
	if filepath.Base(paths[0]) != "digitbot-20261126T120000Z.db" {
		t.Fatalf("backup name %s", paths[0])
	}
	for i, p := range paths {
		_, err := os.Stat(p)
		if kept := i >= 2; kept != (err == nil) {
			t.Fatalf("backup %d (%s): kept=%v, stat err %v", i, p, kept, err)
		}
	}
	if _, err := os.Stat(unrelated); err != nil {
		t.Fatal("pruning deleted a file that is not a backup")
	}
	checkBackup(t, paths[4])
}

func TestStore_RunBackups_Scheduled(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	db := MustOpenDBWith(t, Options{Now: clock.Now})
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(bg)
	// Each backup written is reported to the logger: count them.
	var reports digitbottest.SyncBuffer
	done := make(chan struct{})
	go func() {
		db.RunBackups(ctx, dir, 5*time.Millisecond, 2, slog.New(slog.NewTextHandler(&reports, nil)))
		close(done)
	}()
	// Backups at several distinct times (more than are kept), then stop
	// and count. After the clock moves, the second backup reported is
	// surely named after the new time (the first may have begun before).
	timeout := time.After(5 * time.Second)
	written := func() int { return strings.Count(reports.String(), "backup written") }
	for range 4 {
		want := written() + 2
		clock.Add(time.Second)
		for {
			next := reports.Next()
			if written() >= want {
				break
			}
			select {
			case <-next:
			case <-timeout:
				t.Fatalf("scheduled backups stopped coming:\n%s", reports.String())
			}
		}
	}
	cancel()
	<-done
	files, _ := filepath.Glob(filepath.Join(dir, "digitbot-*.db"))
	if len(files) != 2 {
		t.Fatalf("retention keeps %d files, want 2: %v", len(files), files)
	}
	checkBackup(t, files[1])
}
