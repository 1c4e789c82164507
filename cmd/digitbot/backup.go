package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/digitbot/digitbot/internal/atomicfile"
	"github.com/digitbot/digitbot/store"
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
	force := fs.Bool("force", false, "replace -o FILE even when it is not a digitbot database")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: digitbot backup [--compact] [--force] --db FILE -o FILE\n\n"+
			"Copies the database of a stopped bot consistently, verifies the copy, then\n"+
			"moves it to FILE. A running bot keeps its database locked: it writes its own\n"+
			"hot backups, compacted, into backup_dir (env DIGITBOT_BACKUP_DIR) every\n"+
			"backup_interval; copy the newest of those instead.\n\n"+
			"FILE must be a new path or an earlier backup: anything else (a config file,\n"+
			"a device) is refused unless --force is given, and only regular files are\n"+
			"ever replaced.\n\nflags:\n")
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
	if err := checkBackupTarget(*out, *force); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	db, err := openForCLI(*dbPath, *timeout)
	if err != nil {
		return err
	}
	// The copy goes to a temporary file next to the target and is verified
	// there; the target is replaced only by a verified copy.
	err = atomicfile.Fill(*out, 0o600, func(tmp string) error {
		var err error
		if *compact {
			err = db.CompactTo(tmp)
		} else {
			err = db.BackupFile(tmp)
		}
		if err != nil {
			return err
		}
		if err := store.Verify(tmp); err != nil {
			return fmt.Errorf("the copy failed verification; %s was left as it was: %w", *out, err)
		}
		// The target may have changed while copying: check it again.
		return checkBackupTarget(*out, *force)
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
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

// checkBackupTarget refuses to replace what is not an earlier backup:
// never a non-regular file (as root, a device or a FIFO), and without
// force no existing file that is not a bbolt database (a config file
// given by mistake).
func checkBackupTarget(path string, force bool) error {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return usagef("-o %s exists and is not a regular file (%s); refusing to replace it", path, st.Mode().Type())
	}
	if force {
		return nil
	}
	if ok, err := isBoltFile(path); err != nil {
		return err
	} else if !ok {
		return usagef("-o %s exists and is not a digitbot database; refusing to replace it (use --force to replace it anyway)", path)
	}
	return nil
}

// isBoltFile reports whether path starts with a bbolt meta page: the page
// header (id, flags, count, overflow: 16 bytes), then the magic number.
func isBoltFile(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var head [20]byte
	if _, err := io.ReadFull(f, head[:]); err != nil {
		return false, nil // shorter than a page header: not a database
	}
	const boltMagic = 0xED0CDAED
	return binary.LittleEndian.Uint32(head[16:]) == boltMagic || binary.BigEndian.Uint32(head[16:]) == boltMagic, nil
}
