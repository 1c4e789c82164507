package postgres

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/digitbot/digitbot/internal/pgtest"
	"github.com/digitbot/digitbot/internal/storetest"
)

// suite is this test binary's PostgreSQL server, started once by TestMain
// (each test gets a fresh database on it); benchServer a second one with
// the durable defaults, started only when benchmarks run.
var (
	suite       pgtest.Suite
	benchServer *pgtest.Server
)

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
		s, err := pgtest.Start(pgtest.Options{Durable: true})
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchmarks: no PostgreSQL server:", err)
		} else {
			benchServer = s
			fmt.Fprintln(os.Stderr, "benchmarks: PostgreSQL", s.Version, "with fsync and synchronous_commit on")
		}
	}
	code := pgtest.Main(m, &suite)
	if benchServer != nil {
		benchServer.Stop()
	}
	os.Exit(code)
}

var bg = context.Background()

// openTest opens a store on a fresh database, closed on cleanup.
func openTest(tb testing.TB, opts Options) *DB {
	tb.Helper()
	url := suite.NewDatabase(tb)
	db, err := Open(bg, url, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// tables lists the tables whose rows hold digitbot's data.
var dataTables = []string{"predictions", "prediction_digits", "digit_stats", "daily_stats", "number_stats", "guild_configs", "guild_purges"}

// find lists the tables with a row whose text form contains needle.
func find(tb testing.TB, db *DB, needle string) []string {
	tb.Helper()
	var hits []string
	for _, table := range dataTables {
		var n int
		err := db.pool.QueryRow(bg, `SELECT count(*) FROM `+table+` t WHERE strpos(t::text, $1) > 0`, needle).Scan(&n)
		if err != nil {
			tb.Fatal(err)
		}
		if n > 0 {
			hits = append(hits, fmt.Sprintf("%d rows of %s", n, table))
		}
	}
	return hits
}

func backend() storetest.Backend {
	return storetest.Backend{
		Open: func(tb testing.TB, opts storetest.Options) storetest.Store {
			return openTest(tb, Options{Now: opts.Now, PendingTTL: opts.PendingTTL, Logger: opts.Logger})
		},
		Find: func(tb testing.TB, s storetest.Store, needle string) []string { return find(tb, s.(*DB), needle) },
	}
}

// TestPostgres_Contract runs the store contract suite on PostgreSQL.
func TestPostgres_Contract(t *testing.T) { storetest.Run(t, backend()) }

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(bg, d)
}
