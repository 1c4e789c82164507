// Package store keeps digitbot's predictions, evaluations, per-scope
// statistics and server configuration in one bbolt file.
//
// It implements digitbot.Store. Statistics are aggregated when an evaluation
// is written, in the same transaction, for the three scopes it counts in
// (the whole file, its server, its user), so /stats of a server or of the
// whole bot reads a few hundred keys whatever the size of the history. A
// user's statistics also read the user's points, and a user's in one
// server the user's evaluations: a user has hundreds, not millions.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/digitbot/digitbot"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout this binary reads and writes.
const SchemaVersion = 2

// Defaults for Options.
const (
	DefaultTimeout    = time.Second
	DefaultPendingTTL = 7 * 24 * time.Hour
)

// batchDelay is how long db.Batch waits for more writers before committing.
// bbolt's 10 ms default would cap a lone writer at 100 commits a second;
// 2 ms is about one fsync here, so concurrent writers still share commits.
const batchDelay = 2 * time.Millisecond

// Options configures Open. The zero value is usable.
type Options struct {
	// Timeout is how long Open waits for the file lock held by another
	// process before failing (default 1s). Never 0 = wait forever.
	Timeout time.Duration
	// PendingTTL is how long an unevaluated prediction is kept (default
	// 7 days). Evaluated predictions are kept until forgotten.
	PendingTTL time.Duration
	// Now is the clock (default time.Now); tests set it.
	Now func() time.Time
	// ReadOnly opens the file with a shared lock for reading (CLI export
	// and backup). It fails while a writer holds the file.
	ReadOnly bool
	// Logger receives the janitor's and backups' reports (default: discard).
	Logger *slog.Logger
}

// DB is a digitbot database. It is safe for concurrent use.
type DB struct {
	bolt *bolt.DB
	path string
	ttl  time.Duration
	now  func() time.Time
	log  *slog.Logger

	writers atomic.Int32 // SavePrediction/Evaluate calls in flight, see write
}

var _ digitbot.Store = (*DB)(nil)

// Open opens or creates the database at path, migrating an older schema.
// A file locked by another process (or another Open in this one) fails
// after Options.Timeout with an EUNAVAILABLE *digitbot.Error.
func Open(path string, opts Options) (*DB, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.PendingTTL <= 0 {
		opts.PendingTTL = DefaultPendingTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, digitbot.WrapError(digitbot.ENOTFOUND, fmt.Sprintf("database %s does not exist", path), err)
		}
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout, ReadOnly: opts.ReadOnly})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, digitbot.WrapError(digitbot.EUNAVAILABLE,
			fmt.Sprintf("database %s is in use by another process (waited %s for its lock)", path, opts.Timeout), err)
	} else if err != nil {
		return nil, digitbot.WrapError(digitbot.EUNAVAILABLE, fmt.Sprintf("cannot open database %s", path), err)
	}
	bdb.MaxBatchDelay = batchDelay
	db := &DB{bolt: bdb, path: path, ttl: opts.PendingTTL, now: opts.Now, log: opts.Logger}
	if opts.ReadOnly {
		err = bdb.View(db.checkVersion)
	} else {
		err = bdb.Update(db.migrate)
	}
	if err != nil {
		bdb.Close()
		return nil, err
	}
	return db, nil
}

// Close releases the file. Pending Batch calls finish first.
func (db *DB) Close() error { return db.bolt.Close() }

// Path is the file the database was opened from.
func (db *DB) Path() string { return db.path }

// migration upgrades a file from version From to From+1 inside the opening
// transaction, so a crash mid-migration leaves the old version intact.
type migration struct {
	From int
	Desc string
	Up   func(tx *bolt.Tx) error
}

// migrations is the upgrade path, one step per version.
func migrations() []migration {
	return []migration{
		{From: 0, Desc: "un-versioned file (records only): add the meta bucket", Up: migrateV0},
		{From: 1, Desc: "binary records with number readings, evaluations inside their prediction's record", Up: migrateV1},
	}
}

func readVersion(tx *bolt.Tx) (version int, fresh bool, err error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		empty := true
		err := tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
		return 0, empty, err
	}
	v := meta.Get(keySchemaVersion)
	if len(v) != 4 {
		return 0, false, digitbot.Errorf(digitbot.EUNAVAILABLE, "database has a meta bucket without a valid schema version")
	}
	return int(uint32(v[0])<<24 | uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3])), false, nil
}

func (db *DB) newerError(v int) error {
	return digitbot.Errorf(digitbot.EUNAVAILABLE,
		"database %s has schema version %d but this digitbot understands up to version %d: upgrade digitbot (or restore an older backup)",
		db.path, v, SchemaVersion)
}

func (db *DB) checkVersion(tx *bolt.Tx) error {
	v, fresh, err := readVersion(tx)
	switch {
	case err != nil:
		return err
	case fresh:
		return digitbot.Errorf(digitbot.EUNAVAILABLE, "database %s is empty: it has never been opened by digitbot", db.path)
	case v > SchemaVersion:
		return db.newerError(v)
	case v < SchemaVersion:
		return digitbot.Errorf(digitbot.EUNAVAILABLE,
			"database %s has schema version %d, older than this digitbot's %d: open it once read-write (digitbot run) to migrate it",
			db.path, v, SchemaVersion)
	}
	return nil
}

func (db *DB) migrate(tx *bolt.Tx) error {
	v, fresh, err := readVersion(tx)
	if err != nil {
		return err
	}
	if v > SchemaVersion {
		return db.newerError(v)
	}
	if fresh {
		v = SchemaVersion
	}
	for _, m := range migrations() {
		if m.From < v {
			continue
		}
		if m.From != v {
			return fmt.Errorf("no migration from schema version %d", v)
		}
		if err := m.Up(tx); err != nil {
			return fmt.Errorf("migrating %s from schema version %d (%s): %w", db.path, v, m.Desc, err)
		}
		db.log.Info("migrated database", "path", db.path, "from", v, "to", v+1)
		v++
	}
	if v != SchemaVersion {
		return fmt.Errorf("database %s stopped at schema version %d, want %d", db.path, v, SchemaVersion)
	}
	if err := createBuckets(tx); err != nil {
		return err
	}
	return tx.Bucket(bucketMeta).Put(keySchemaVersion, versionBytes(SchemaVersion))
}

func versionBytes(v int) []byte {
	return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

func createBuckets(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketMeta, bucketPredictions, bucketPending, bucketGuilds, bucketScopes, bucketModels} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	return nil
}

// migrateV0 upgrades files written before the schema version existed:
// they hold the version 1 records (predictions, pending, evaluations,
// guilds) but no stats scopes. Version 1's stats scopes would be thrown
// away by migrateV1, which rebuilds them from the records, so this step
// only adds the buckets version 1 has.
func migrateV0(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketMeta, bucketPredictions, bucketPending, bucketEvaluationsV1, bucketGuilds, bucketScopes} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	return nil
}

// storeError wraps an unexpected bbolt or decoding failure for the log; the
// user sees a generic sentence.
func storeError(op string, err error) error {
	var de *digitbot.Error
	if err == nil || errors.As(err, &de) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return digitbot.WrapError(digitbot.EINTERNAL, "The database failed; please try again later.", fmt.Errorf("store: %s: %w", op, err))
}

// IsLocked reports whether err (from Open) means another process holds the
// file: the running bot, while a read-only tool tries to open it.
func IsLocked(err error) bool { return errors.Is(err, berrors.ErrTimeout) }
