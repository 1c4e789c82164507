// Package postgres keeps digitbot's predictions, evaluations, statistics
// and server configuration in a PostgreSQL database, through pgx.
//
// It implements digitbot.Store with the promises of the bbolt store (see
// package store), for a fleet of digitbot processes sharing one database:
// every process sees every shard's data, so a user's statistics, export
// and /forget cover all of them at once.
//
// The promises are kept by the database, not by Go locks: an evaluation
// locks its prediction's row (SELECT ... FOR UPDATE) and records its
// verdict only where none is (UPDATE ... WHERE evaluated_at IS NULL), so
// of two processes racing on one prediction exactly one wins and the other
// reads the winner's verdict. Statistics are aggregated into digit_stats,
// daily_stats and number_stats in the same transaction as the evaluation
// or deletion that changes them, so /stats reads a few thousand rows
// whatever the size of the history.
//
// The schema is versioned: migrations/NNNN_*.sql are embedded and applied
// in order at Open, each in its own transaction together with its row in
// schema_migrations.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Defaults for Options.
const (
	DefaultPendingTTL = 7 * 24 * time.Hour
	DefaultMaxConns   = 8
)

// Options configures Open. The zero value is usable.
type Options struct {
	// PendingTTL is how long an unevaluated prediction is kept (default
	// 7 days). Evaluated predictions are kept until forgotten.
	PendingTTL time.Duration
	// Now is the clock (default time.Now); tests set it.
	Now func() time.Time
	// Logger receives the janitor's and the migrations' reports (default:
	// discard). The database URL is never logged.
	Logger *slog.Logger
	// MaxConns bounds the connection pool (default 8).
	MaxConns int32
}

// DB is a digitbot database on PostgreSQL. It is safe for concurrent use,
// also by several processes at once.
type DB struct {
	pool *pgxpool.Pool
	ttl  time.Duration
	now  func() time.Time
	log  *slog.Logger
}

var _ digitbot.Store = (*DB)(nil)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// SchemaVersion is the newest migration this binary knows.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// Open connects to the database named by url (a postgres:// URL or a
// keyword=value string, as libpq reads them) and migrates its schema. A
// server that cannot be reached is EUNAVAILABLE; a schema newer than this
// binary's is EUNAVAILABLE too, with the versions in the message.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	if opts.PendingTTL <= 0 {
		opts.PendingTTL = DefaultPendingTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = DefaultMaxConns
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error may quote the URL, password included: it is
		// not kept.
		return nil, digitbot.Errorf(digitbot.EINVALID,
			"the database URL cannot be parsed: give a postgres:// URL or a keyword=value connection string")
	}
	cfg.MaxConns = opts.MaxConns
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, digitbot.WrapError(digitbot.EUNAVAILABLE, "cannot connect to the PostgreSQL database", err)
	}
	db := &DB{pool: pool, ttl: opts.PendingTTL, now: opts.Now, log: opts.Logger}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, digitbot.WrapError(digitbot.EUNAVAILABLE, "cannot connect to the PostgreSQL database", err)
	}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the connections.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// migration is one embedded .sql file.
type migration struct {
	Version int
	Name    string
	SQL     string
}

// migrations lists the embedded files, named NNNN_description.sql, in
// version order; versions start at 1 and have no gaps.
func migrations() ([]migration, error) {
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration file %q is not named NNNN_description.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: want version %d", m.Name, i+1)
		}
	}
	return out, nil
}

// migrate applies the migrations the database lacks. Each runs in one
// transaction with the insertion of its version into schema_migrations:
// a second process migrating at the same time blocks on that row (its
// primary key) until the first commits, then finds it applied.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY,
		name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`)
	// IF NOT EXISTS is not atomic: a process creating the table while
	// another does can fail with one of several catalogue errors (a unique
	// violation, 42P07 for the table, 42710 for its row type). Whatever the
	// error, what matters is whether the table is there now.
	if err != nil {
		var exists bool
		if qerr := db.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); qerr != nil || !exists {
			return storeError("create schema_migrations", err)
		}
	}
	var newest int
	if err := db.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&newest); err != nil {
		return storeError("read schema version", err)
	}
	if newest > len(ms) {
		return digitbot.Errorf(digitbot.EUNAVAILABLE,
			"the database has schema version %d but this digitbot understands up to version %d: upgrade digitbot (or restore an older dump)",
			newest, len(ms))
	}
	for _, m := range ms[newest:] {
		err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING`, m.Version, m.Name)
			if err != nil || tag.RowsAffected() == 0 {
				return err // applied by another process meanwhile
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			db.log.Info("migrated database", "to", m.Version, "migration", m.Name)
			return nil
		})
		if err != nil {
			return storeError("migrate", err)
		}
	}
	return nil
}

// storeError maps a database failure to the root error codes: a server
// that cannot be reached is EUNAVAILABLE, anything else EINTERNAL; the
// user sees a generic sentence, the log the cause. *digitbot.Error and
// context errors pass through.
func storeError(op string, err error) error {
	var de *digitbot.Error
	if err == nil || errors.As(err, &de) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	err = fmt.Errorf("postgres: %s: %w", op, err)
	if unreachable(err) {
		return digitbot.WrapError(digitbot.EUNAVAILABLE, "The database is unavailable; please try again later.", err)
	}
	return digitbot.WrapError(digitbot.EINTERNAL, "The database failed; please try again later.", err)
}

// unreachable reports a failure to talk to the server at all, or a server
// that is shutting down or refusing connections (SQLSTATE class 08, 57P).
func unreachable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P") || pe.Code == "53300"
	}
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || pgconn.SafeToRetry(err) || pgconn.Timeout(err)
}

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// retryable reports a transaction the server aborted to keep transactions
// apart (serialization failure, deadlock): running it again is safe.
func retryable(err error) bool {
	s := sqlState(err)
	return s == "40001" || s == "40P01"
}

// inTx runs fn in a transaction, again (up to five times) when the server
// aborted it as a serialization failure or a deadlock.
func (db *DB) inTx(ctx context.Context, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = pgx.BeginTxFunc(ctx, db.pool, opts, fn)
		if !retryable(err) {
			return err
		}
	}
	return err
}

// readTx is the options of the read-only transactions that read several
// tables: one snapshot for all of them.
var readTx = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// probScale is the unit probabilities and confidences are stored in,
// 1/10,000 as in the bbolt store: Prediction returns them rounded so.
const probScale = 10000

func quantise(f float64) int32 { return int32(math.Round(f * probScale)) }

func dequantise(q int32) float64 { return float64(q) / probScale }

// pointCorrect marks a right verdict in an element of predictions.points.
const pointCorrect = 1 << 15

// dbTime is how a time is stored: timestamptz keeps microseconds.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// dayNumber is the number of UTC days since 1970-01-01.
func dayNumber(t time.Time) int32 {
	s := t.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return int32(d)
}

// scopeKey names a scope in the aggregate tables. A user in one server has
// no aggregates of its own: it is computed from the user's evaluations in
// that server (a user has hundreds, not millions).
func scopeKey(s digitbot.Scope) string {
	switch {
	case s.GuildID == "" && s.UserID == "":
		return "a"
	case s.UserID == "":
		return "g:" + s.GuildID
	default:
		return "u:" + s.UserID
	}
}

func memberScope(s digitbot.Scope) bool { return s.GuildID != "" && s.UserID != "" }

// scopesOf lists the aggregate scopes an evaluation counts in.
func scopesOf(e digitbot.Evaluation) []string {
	s := []string{"a", "u:" + e.UserID}
	if e.GuildID != "" {
		s = append(s, "g:"+e.GuildID)
	}
	return s
}
