package store

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/digitbot/digitbot"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// verifyTimeout is how long Verify waits for a file locked by a writer: a
// copy being verified is normally nobody else's, so a lock means a mistake.
const verifyTimeout = time.Second

// maxCheckProblems bounds how many of the consistency check's findings an
// error reports: one damaged page can produce thousands.
const maxCheckProblems = 5

// Verify checks the database file at path without changing it: it opens it
// read-only (waiting at most a second for another process's lock), runs
// bbolt's consistency check over every page, and checks that the schema is
// the one this binary reads. It is how a backup is checked before it
// replaces an earlier one.
func Verify(path string) error {
	if _, err := os.Stat(path); err != nil {
		return digitbot.WrapError(digitbot.ENOTFOUND, fmt.Sprintf("database %s does not exist", path), err)
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: verifyTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return digitbot.WrapError(digitbot.EUNAVAILABLE,
			fmt.Sprintf("database %s is in use by another process (waited %s for its lock)", path, verifyTimeout), err)
	} else if err != nil {
		return digitbot.WrapError(digitbot.EUNAVAILABLE, fmt.Sprintf("cannot open database %s", path), err)
	}
	db := &DB{bolt: b, path: path}
	err = b.View(func(tx *bolt.Tx) error {
		// Check's goroutine sends until it has walked every page: stopping
		// at the first error would leave it blocked forever, so drain it.
		var problems []error
		for err := range tx.Check() {
			if len(problems) < maxCheckProblems {
				problems = append(problems, err)
			}
		}
		if len(problems) > 0 {
			return fmt.Errorf("database %s failed the consistency check: %w", path, errors.Join(problems...))
		}
		return db.checkVersion(tx)
	})
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	return err
}
