package postgres

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/internal/storetest"
)

// openPair opens two stores on one fresh database, each with its own
// connection pool, as two digitbot processes of a fleet would.
func openPair(t *testing.T, opts Options) (*DB, *DB, string) {
	t.Helper()
	url := suite.NewDatabase(t)
	var dbs [2]*DB
	for i := range dbs {
		db, err := Open(bg, url, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs[0], dbs[1], url
}

// Two processes pressing the same button at once: exactly one verdict is
// recorded, both get it, and it is counted once. Nothing in Go is shared
// between the two stores: only the database orders them.
func TestPostgres_Evaluate_RaceBetweenProcesses(t *testing.T) {
	a, b, _ := openPair(t, Options{})
	for round := range 10 {
		p := storetest.MustSave(t, a, storetest.Pred("111", "222", 3, 0.8))
		n := 12
		results := make([]digitbot.Evaluation, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			db := a
			if i%2 == 1 {
				db = b
			}
			wg.Go(func() {
				<-start
				if i%3 == 0 {
					results[i], errs[i] = db.EvaluateNumber(bg, p.ID, "222", "7")
				} else {
					results[i], errs[i] = db.Evaluate(bg, p.ID, "222", i%10)
				}
			})
		}
		close(start)
		wg.Wait()
		winner := storetest.OneWinner(t, round, errs)
		for i := range results {
			if d := storetest.DiffEvaluation(results[i], results[winner]); i != winner && d != "" {
				t.Fatalf("round %d: call %d: %s", round, i, d)
			}
		}
		s, err := b.Stats(bg, digitbot.Scope{})
		if err != nil || s.Total != round+1 {
			t.Fatalf("round %d: %d evaluations counted (%v)", round, s.Total, err)
		}
	}
}

// A /forget in one process while another keeps recording the same user's
// and others' verdicts: afterwards the user has nothing left anywhere and
// every aggregate equals the brute force over what remains.
func TestPostgres_ForgetUser_WhileAnotherProcessWrites(t *testing.T) {
	clock := storetest.NewTickingClock(time.Date(2026, 11, 26, 23, 59, 0, 0, time.UTC)) // across midnight
	a, b, _ := openPair(t, Options{Now: clock.Now})
	users := []string{"user-forget-10101", "user-keep-20202"}
	guilds := []string{"guild-1-30303", "guild-2-40404", ""}
	for i := range 40 {
		p := storetest.MustSave(t, a, storetest.Pred(guilds[i%3], users[i%2], i%10, 0.5))
		if _, err := a.Evaluate(bg, p.ID, p.UserID, (i*7)%10); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 40 {
			p := storetest.Pred(guilds[i%3], users[i%2], i%10, 0.25)
			if err := b.SavePrediction(bg, &p); err != nil {
				t.Error(err)
				return
			}
			_, err := b.Evaluate(bg, p.ID, p.UserID, i%10)
			// The forgotten user's prediction may be gone before its
			// verdict: that is the only refusal allowed.
			if err != nil && !(p.UserID == users[0] && digitbot.ErrorCode(err) == digitbot.ENOTFOUND) {
				t.Error(err)
				return
			}
		}
	})
	if err := a.ForgetUser(bg, users[0]); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	// Whatever the writer saved after the forget is the user's new data:
	// forget again, with nothing racing, and check.
	if err := a.ForgetUser(bg, users[0]); err != nil {
		t.Fatal(err)
	}
	if hits := find(t, a, users[0]); len(hits) != 0 {
		t.Fatalf("forgotten user left in %v", hits)
	}
	remaining, err := a.History(bg, digitbot.Scope{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	scopes := []digitbot.Scope{{}, {UserID: users[0]}, {UserID: users[1]}}
	for _, g := range guilds[:2] {
		scopes = append(scopes, digitbot.Scope{GuildID: g}, digitbot.Scope{GuildID: g, UserID: users[1]})
	}
	storetest.CheckScopes(t, b, remaining, scopes)
}

// The schema is versioned: a fresh database gets every migration once,
// reopening applies nothing, two processes opening a fresh database at
// once both succeed, and a database from a newer digitbot is refused.
func TestPostgres_Migrations(t *testing.T) {
	url := suite.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() {
			db, err := Open(bg, url, Options{})
			if err == nil {
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent first opens: %v", err)
	}
	db, err := Open(bg, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var versions []int32
	rows, err := db.pool.Query(bg, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int32
		rows.Scan(&v)
		versions = append(versions, v)
	}
	if rows.Err() != nil || len(versions) != SchemaVersion() || SchemaVersion() < 1 || versions[0] != 1 {
		t.Fatalf("schema_migrations holds %v, want 1..%d", versions, SchemaVersion())
	}
	if _, err := db.pool.Exec(bg, `INSERT INTO schema_migrations (version, name) VALUES (99, '0099_future.sql')`); err != nil {
		t.Fatal(err)
	}
	_, err = Open(bg, url, Options{})
	if digitbot.ErrorCode(err) != digitbot.EUNAVAILABLE || !strings.Contains(err.Error(), "schema version 99") {
		t.Fatalf("opening a newer schema: %v", err)
	}
}

// A URL that cannot be parsed is refused without repeating it (it may
// hold a password); a server that does not answer is EUNAVAILABLE.
func TestPostgres_Open_BadURL(t *testing.T) {
	_, err := Open(bg, "postgres://digitbot:s3cret-pw@[::1:5432/x", Options{})
	if digitbot.ErrorCode(err) != digitbot.EINVALID || strings.Contains(err.Error(), "s3cret-pw") {
		t.Fatalf("bad URL: %v", err)
	}
	ctx, cancel := contextWithTimeout(5 * time.Second)
	defer cancel()
	_, err = Open(ctx, "host="+t.TempDir()+" user=digitbot password=s3cret-pw dbname=x connect_timeout=2", Options{})
	if digitbot.ErrorCode(err) != digitbot.EUNAVAILABLE || strings.Contains(err.Error(), "s3cret-pw") {
		t.Fatalf("no server: %v", err)
	}
}

// The purge queue is in the database: another process (or a restart)
// finds it.
func TestPostgres_GuildPurgeQueue_SharedAndDurable(t *testing.T) {
	a, _, url := openPair(t, Options{})
	if err := a.QueueGuildPurges(bg, "111", "777", "111"); err != nil {
		t.Fatal(err)
	}
	a.Close()
	c, err := Open(bg, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if q, err := c.QueuedGuildPurges(bg); err != nil || !slices.Equal(q, []string{"111", "777"}) {
		t.Fatalf("queue after reopening = %v, %v", q, err)
	}
}
