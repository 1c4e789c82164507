package store

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/digitbot/digitbot/internal/atomicfile"
	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the database to w from a read
// transaction, so writers carry on meanwhile.
func (db *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// BackupFile writes a hot backup to path atomically (see atomicfile), so
// path is always either the old file or a complete new one.
func (db *DB) BackupFile(path string) error {
	err := atomicfile.Write(path, 0o600, func(w io.Writer) error {
		_, err := db.Backup(w)
		return err
	})
	if err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

// backupLayout is the time stamp in scheduled backup names, e.g.
// digitbot-20261126T143000Z.db: lexical order is time order.
const backupLayout = "20060102T150405Z"

// BackupName is the file name RunBackups gives a backup taken at t.
func BackupName(t time.Time) string {
	return "digitbot-" + t.UTC().Format(backupLayout) + ".db"
}

// RunBackups writes a backup into dir every interval until ctx is done and
// keeps the newest keep files (keep <= 0 keeps all). Failures are logged and
// retried at the next tick; the bot keeps running.
func (db *DB) RunBackups(ctx context.Context, dir string, every time.Duration, keep int, logger *slog.Logger) {
	if logger == nil {
		logger = db.log
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			path, err := db.BackupNow(dir, keep)
			if err != nil {
				logger.Error("scheduled backup failed", "dir", dir, "err", err)
				continue
			}
			logger.Info("backup written", "path", path)
		}
	}
}

// BackupNow writes one compacted backup into dir (created if needed) and
// prunes the oldest beyond keep. It returns the new file's path.
// Compacted, because a plain copy carries bbolt's free pages, which still
// hold the bytes of records deleted since they were last reused: a backup
// taken right after /forget would keep the forgotten user's data for as
// long as the backup is kept.
func (db *DB) BackupNow(dir string, keep int) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	path := filepath.Join(dir, BackupName(db.now()))
	if err := db.CompactTo(path); err != nil {
		return "", err
	}
	return path, PruneBackups(dir, keep)
}

// PruneBackups deletes all but the newest keep backups in dir. Only files
// named like BackupName are considered; keep <= 0 keeps everything.
func PruneBackups(dir string, keep int) error {
	if keep <= 0 {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("pruning backups: %w", err)
	}
	var names []string
	for _, e := range entries {
		name := e.Name()
		stamp, ok := strings.CutPrefix(name, "digitbot-")
		if !ok || !e.Type().IsRegular() {
			continue
		}
		stamp, ok = strings.CutSuffix(stamp, ".db")
		if _, err := time.Parse(backupLayout, stamp); !ok || err != nil {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	for len(names) > keep {
		if err := os.Remove(filepath.Join(dir, names[0])); err != nil {
			return fmt.Errorf("pruning backups: %w", err)
		}
		names = names[1:]
	}
	return nil
}

// CompactTo writes a compacted copy of the database to path (atomically,
// like BackupFile): only live records are copied, so the bytes of deleted
// records that bbolt keeps in its free pages until they are reused are not
// carried over. It is how an operator makes a deletion (/forget, a server
// purge) reach the disk at once.
func (db *DB) CompactTo(path string) error {
	err := atomicfile.Fill(path, 0o600, func(tmp string) error {
		dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second})
		if err != nil {
			return err
		}
		// 64 MiB per transaction keeps memory bounded on large files.
		if err := bolt.Compact(dst, db.bolt, 64<<20); err != nil {
			dst.Close()
			return err
		}
		return dst.Close()
	})
	if err != nil {
		return fmt.Errorf("compact to %s: %w", path, err)
	}
	return nil
}
