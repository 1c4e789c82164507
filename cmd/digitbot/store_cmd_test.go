package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/store"
)

// makeStoreCmdDB writes a database with two evaluations by user 222 (one in server
// 111, one in a DM) and one by user 333, and closes it.
func makeStoreCmdDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "digitbot.db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, p := range []digitbot.Prediction{
		{GuildID: "111", UserID: "222", FileName: "=cmd|' /C calc'!A0", Digit: 3, Confidence: 0.9},
		{UserID: "222", FileName: "dm.png", Digit: 4, Confidence: 0.6},
		{GuildID: "111", UserID: "333", FileName: "other.png", Digit: 5, Confidence: 0.7},
	} {
		ctx := context.Background()
		if err := db.SavePrediction(ctx, &p); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Evaluate(ctx, p.ID, p.UserID, 3); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func runStoreCmd(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestExport_UsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"export"}, {"export", "--db"}, {"export", "--db", "x.db", "extra"}, {"export", "--nope"}} {
		code, _, stderr := runStoreCmd(args...)
		if code != 2 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
	}
	if _, _, stderr := runStoreCmd("export"); !strings.Contains(stderr, "--db") {
		t.Errorf("missing --db not named: %q", stderr)
	}
}

func TestExport_WritesScopeAsCSV(t *testing.T) {
	t.Parallel()
	path := makeStoreCmdDB(t)
	code, stdout, stderr := runStoreCmd("export", "--db", path, "--user", "222")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "prediction_id" {
		t.Fatalf("rows = %v", rows)
	}
	if rows[1][4] != "'=cmd|' /C calc'!A0" {
		t.Fatalf("formula not defused: %q", rows[1][4])
	}

	out := filepath.Join(t.TempDir(), "server.csv")
	if code, _, stderr := runStoreCmd("export", "--db", path, "--guild", "111", "-o", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n != 3 {
		t.Fatalf("server export has %d lines, want header + 2:\n%s", n, data)
	}
}

func TestExport_MissingFile(t *testing.T) {
	t.Parallel()
	code, _, stderr := runStoreCmd("export", "--db", filepath.Join(t.TempDir(), "nope.db"))
	if code != 1 || !strings.Contains(stderr, "does not exist") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestBackup_UsageErrors(t *testing.T) {
	t.Parallel()
	path := makeStoreCmdDB(t)
	for _, args := range [][]string{{"backup"}, {"backup", "-o", "x.db"}, {"backup", "--db", path}, {"backup", "--db", path, "-o", path}} {
		if code, _, stderr := runStoreCmd(args...); code != 2 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2", args, code, stderr)
		}
	}
}

func TestBackup_CopiesAndVerifies(t *testing.T) {
	t.Parallel()
	path := makeStoreCmdDB(t)
	out := filepath.Join(t.TempDir(), "copy.db")
	code, _, stderr := runStoreCmd("backup", "--db", path, "-o", out)
	if code != 0 || !strings.Contains(stderr, "verified") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	db, err := store.Open(out, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := db.Stats(context.Background(), digitbot.Scope{})
	if err != nil || s.Total != 3 {
		t.Fatalf("backup has %d evaluations (%v), want 3", s.Total, err)
	}
}

// TestBackup_WhileBotHoldsTheFile: the bot's exclusive lock stops the CLI
// within --timeout, with a message that points to the bot's own backups.
func TestBackup_WhileBotHoldsTheFile(t *testing.T) {
	t.Parallel()
	path := makeStoreCmdDB(t)
	bot, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer bot.Close()
	out := filepath.Join(t.TempDir(), "copy.db")
	for _, cmd := range []string{"backup", "export"} {
		start := time.Now()
		code, _, stderr := runStoreCmd(cmd, "--db", path, "-o", out, "--timeout", "200ms")
		if code != 1 || !strings.Contains(stderr, "in use by another process") || !strings.Contains(stderr, "backup_dir") {
			t.Fatalf("%s: exit %d, stderr %q", cmd, code, stderr)
		}
		if time.Since(start) > 3*time.Second {
			t.Fatalf("%s waited %v with a 200ms timeout", cmd, time.Since(start))
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("a refused run left %s behind", out)
	}
}

func TestBackup_Compact_KeepsLiveDataWithoutForgottenBytes(t *testing.T) {
	t.Parallel()
	path := makeStoreCmdDB(t)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ForgetUser(context.Background(), "333"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out := filepath.Join(t.TempDir(), "compact.db")
	code, _, stderr := runStoreCmd("backup", "--compact", "--db", path, "-o", out)
	if code != 0 || !strings.Contains(stderr, "verified") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("other.png")) {
		t.Error("compacted copy still holds the forgotten user's file name")
	}
	cp, err := store.Open(out, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	s, err := cp.Stats(context.Background(), digitbot.Scope{})
	if err != nil || s.Total != 2 {
		t.Fatalf("compacted copy has %d evaluations (%v), want 2", s.Total, err)
	}
}
