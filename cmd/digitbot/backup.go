package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/digitbot/digitbot/store"
	bolt "go.etcd.io/bbolt"
)

// runBackup copies a database consistently:
//
//	digitbot backup --db FILE -o FILE
//
// It opens the source read-only (a shared lock, so other readers are fine;
// the running bot's exclusive lock is not, and then the message points to
// the bot's own scheduled backups), copies it from one read transaction
// into a temporary file that is fsynced and renamed over the target, and
// checks the copy with bbolt's consistency check before reporting success.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", "", "database `file` to copy (opened read-only)")
	out := fs.String("o", "", "backup `file` to write (replaced atomically)")
	timeout := fs.Duration("timeout", 2*time.Second, "how long to wait for a database locked by another process")
	compact := fs.Bool("compact", false, "copy only live records, so bytes of deleted data (/forget, removed servers) left in free pages are not carried over")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: digitbot backup [--compact] --db FILE -o FILE\n\n"+
			"Copies the database consistently and verifies the copy.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usagef("unexpected arguments: %v", fs.Args())
	case *dbPath == "":
		return usagef("missing --db FILE (the database to copy)")
	case *out == "" || *out == "-":
		return usagef("missing -o FILE (the backup to write)")
	}
	if same, err := sameFile(*dbPath, *out); err != nil {
		return err
	} else if same {
		return usagef("-o %s is the database itself", *out)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	db, err := openForCLI(*dbPath, *timeout)
	if err != nil {
		return err
	}
	if *compact {
		err = db.CompactTo(*out)
	} else {
		err = db.BackupFile(*out)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := verifyBackup(*out); err != nil {
		os.Remove(*out)
		return fmt.Errorf("the copy %s failed verification and was removed: %w", *out, err)
	}
	fi, err := os.Stat(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s (%d bytes, verified)\n", *out, fi.Size())
	return nil
}

// sameFile reports whether a and b name the same existing file (or path).
func sameFile(a, b string) (bool, error) {
	aa, err := filepath.Abs(a)
	if err != nil {
		return false, err
	}
	bb, err := filepath.Abs(b)
	if err != nil {
		return false, err
	}
	if aa == bb {
		return true, nil
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb), nil
}

// verifyBackup opens the copy on its own and runs bbolt's consistency check
// and the store's schema check.
func verifyBackup(path string) error {
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	err = b.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	return db.Close()
}
