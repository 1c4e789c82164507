package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/internal/storetest"
	bolt "go.etcd.io/bbolt"
)

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// MustOpenDB opens a database in a temporary directory. On cleanup it runs
// bbolt's consistency check and closes it.
func MustOpenDB(tb testing.TB) *DB {
	tb.Helper()
	return MustOpenDBWith(tb, Options{})
}

// MustOpenDBWith is MustOpenDB with options (Now defaults to a fake clock
// set to 2026-11-26 12:00 UTC).
func MustOpenDBWith(tb testing.TB, opts Options) *DB {
	tb.Helper()
	if opts.Now == nil {
		opts.Now = newFakeClock().Now
	}
	db, err := Open(filepath.Join(tb.TempDir(), "digitbot.db"), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		MustCheck(tb, db)
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
	})
	return db
}

// MustCheck fails the test if bbolt's consistency check finds anything.
func MustCheck(tb testing.TB, db *DB) {
	tb.Helper()
	err := db.bolt.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			tb.Errorf("tx.Check: %v", err)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// findBytes walks every bucket, nested bucket name, key and value of the
// live B+tree and returns a description of each place needle occurs.
func findBytes(tb testing.TB, db *DB, needle []byte) []string {
	tb.Helper()
	var hits []string
	var walk func(path string, b *bolt.Bucket) error
	walk = func(path string, b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			where := fmt.Sprintf("%s/%q", path, k)
			if bytes.Contains(k, needle) {
				hits = append(hits, "key "+where)
			}
			if v == nil {
				if nb := b.Bucket(k); nb != nil {
					return walk(where, nb)
				}
			}
			if bytes.Contains(v, needle) {
				hits = append(hits, "value of "+where)
			}
			return nil
		})
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if bytes.Contains(name, needle) {
				hits = append(hits, fmt.Sprintf("bucket %q", name))
			}
			return walk(string(name), b)
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return hits
}

// historyItem is one prediction of a generated history (the contract
// suite's).
type historyItem = storetest.HistoryItem

// insertHistory writes a history in one transaction through the same
// functions SavePrediction and Evaluate use, so that tests and benchmarks
// can build large files without one fsync per evaluation. It returns the
// evaluations written.
func insertHistory(tb testing.TB, db *DB, items []historyItem) []digitbot.Evaluation {
	tb.Helper()
	var evals []digitbot.Evaluation
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		evals = evals[:0]
		for i := range items {
			it := &items[i]
			if it.Pred.CreatedAt.IsZero() {
				it.Pred.CreatedAt = it.At
			}
			if refusal, err := savePrediction(tx, &it.Pred); err != nil || refusal != nil {
				return fmt.Errorf("save %d: %v %v", i, refusal, err)
			}
			if !it.Evaluated {
				continue
			}
			v := verdict{digit: it.TrueDigit}
			if it.TrueNumber != "" {
				v = verdict{digit: -1, number: it.TrueNumber}
			}
			e, refusal, err := db.evaluate(tx, it.Pred.ID, it.Pred.UserID, v, it.At.UTC())
			if err != nil || refusal != nil {
				return fmt.Errorf("evaluate %d: %v %v", i, refusal, err)
			}
			evals = append(evals, e)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return evals
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := digitbot.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }

// encodeRuns is schema v1's input encoding, for comparisons: pixels as (zero run, literal length, literal bytes)
// triples of uvarints: digits are mostly background.
func encodeRuns(b []byte, px []uint8) []byte {
	for i := 0; i < len(px); {
		z := i
		for z < len(px) && px[z] == 0 {
			z++
		}
		l := z
		for l < len(px) && px[l] != 0 {
			l++
		}
		b = binary.AppendUvarint(b, uint64(z-i))
		b = binary.AppendUvarint(b, uint64(l-z))
		b = append(b, px[z:l]...)
		i = l
	}
	return b
}
