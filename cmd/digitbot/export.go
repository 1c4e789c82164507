package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/internal/atomicfile"
	"github.com/digitbot/digitbot/store"
)

// runExport writes the evaluations of a scope as CSV:
//
//	digitbot export --db FILE [--guild ID] [--user ID] [-o FILE]
//
// The database is opened read-only. With -o the CSV goes to a temporary
// file renamed into place, so a failure never leaves half a file.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", "", "database `file` to read (opened read-only)")
	guild := fs.String("guild", "", "only this server's evaluations (server `ID`)")
	user := fs.String("user", "", "only this user's evaluations (user `ID`)")
	out := fs.String("o", "-", "output CSV `file` (- for stdout)")
	timeout := fs.Duration("timeout", 2*time.Second, "how long to wait for a database locked by another process")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: digitbot export --db FILE [--guild ID] [--user ID] [-o FILE]\n\n"+
			"Writes every evaluation of the scope as CSV, oldest first.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usagef("unexpected arguments: %v", fs.Args())
	case *dbPath == "":
		return usagef("missing --db FILE (the database to export from)")
	case *out == "":
		return usagef("-o needs a file name (or - for stdout)")
	}
	db, err := openForCLI(*dbPath, *timeout)
	if err != nil {
		return err
	}
	defer db.Close()
	scope := digitbot.Scope{GuildID: *guild, UserID: *user}
	if *out == "-" {
		return db.ExportCSV(ctx, scope, stdout)
	}
	if err := atomicfile.Write(*out, 0o600, func(w io.Writer) error { return db.ExportCSV(ctx, scope, w) }); err != nil {
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	fmt.Fprintf(stderr, "wrote %s\n", *out)
	return nil
}

// openForCLI opens a database read-only for export and backup, and turns
// "the file is locked" into advice: the bot holds an exclusive lock while
// it runs, which a reader's shared lock cannot get past.
func openForCLI(path string, timeout time.Duration) (*store.DB, error) {
	db, err := store.Open(path, store.Options{ReadOnly: true, Timeout: timeout})
	if err == nil {
		return db, nil
	}
	if store.IsLocked(err) {
		return nil, &exitError{code: 1, msg: fmt.Sprintf("digitbot: %s.\n"+
			"The running bot keeps the database locked. It writes scheduled hot backups to its backup folder\n"+
			"(config key backup_dir, env DIGITBOT_BACKUP_DIR): export or copy from the newest of those, or stop the bot first.",
			digitbot.ErrorMessage(err))}
	}
	var de *digitbot.Error
	if errors.As(err, &de) && de.Err != nil {
		return nil, fmt.Errorf("%s (%v)", de.Message, de.Err)
	}
	return nil, errors.New(digitbot.ErrorMessage(err))
}
