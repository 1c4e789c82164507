package bot

import (
	"context"
	"runtime"
	"testing"

	"github.com/digitbot/digitbot"
)

// TestErasures_OrderDeletionsAgainstWork: a server's purge waits for the
// work in flight there, refuses new work and writes meanwhile, and when
// its wait is cut short, the work still in flight cannot write afterwards.
func TestErasures_OrderDeletionsAgainstWork(t *testing.T) {
	t.Parallel()
	e := newErasures()
	g, u := guildKey("g1"), userKey("u1")
	release, ok := e.begin(u, g)
	if !ok {
		t.Fatal("work refused with no erasure running")
	}

	// A purge that waits until the work ends.
	deleted := make(chan struct{})
	go func() {
		e.erase(context.Background(), g, func() error { close(deleted); return nil })
	}()
	for {
		e.mu.Lock()
		marked := e.erasing[g] > 0
		e.mu.Unlock()
		if marked {
			break
		}
		runtime.Gosched()
	}
	if _, ok := e.begin(userKey("u2"), g); ok {
		t.Error("new work in the server began while it is being purged")
	}
	if _, ok := e.begin(userKey("u2"), guildKey("")); !ok {
		t.Error("a DM was refused while a server is purged")
	}
	if err := e.save(func() error { return nil }, u, g); digitbot.ErrorCode(err) != digitbot.ECONFLICT {
		t.Errorf("a write during the purge: %v, want conflict", err)
	}
	select {
	case <-deleted:
		t.Fatal("deleted while work was in flight")
	default:
	}
	release()
	<-deleted

	// A purge whose wait is cut short: the work still in flight stays
	// unable to write until it ends.
	release, _ = e.begin(u, g)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.erase(ctx, g, func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	wrote := false
	e.save(func() error { wrote = true; return nil }, u, g)
	if wrote {
		t.Error("work in flight wrote after the purge")
	}
	release()
	if err := e.save(func() error { wrote = true; return nil }, u, g); err != nil || !wrote {
		t.Errorf("new work cannot write after the purge ended: %v", err)
	}
}

// TestErasures_DeletionHoldsUpOnlyItsOwnWrites: while a user's deletion
// runs, another user's save goes through and the user's own waits for it.
func TestErasures_DeletionHoldsUpOnlyItsOwnWrites(t *testing.T) {
	t.Parallel()
	e := newErasures()
	deleting, finish := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- e.erase(context.Background(), userKey("u1"), func() error {
			close(deleting)
			<-finish
			return nil
		})
	}()
	<-deleting
	wrote := false
	if err := e.save(func() error { wrote = true; return nil }, userKey("u2"), guildKey("g1")); err != nil || !wrote {
		t.Errorf("another user's save during the deletion: %v, wrote=%v", err, wrote)
	}
	own := make(chan error, 1)
	go func() { own <- e.save(func() error { return nil }, userKey("u1"), guildKey("g1")) }()
	close(finish)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The user's own save either was refused (it checked while the
	// deletion was marked) or ran after it: never during.
	if err := <-own; err != nil && digitbot.ErrorCode(err) != digitbot.ECONFLICT {
		t.Errorf("own save: %v", err)
	}
	e.mu.Lock()
	left := len(e.locks)
	e.mu.Unlock()
	if left != 0 {
		t.Errorf("%d key locks left after everyone finished", left)
	}
}
