//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestBackup_RefusesToReplaceWhatIsNotABackup: -o naming a config file is
// refused (and left as it was) unless --force; a FIFO or device is never
// replaced; an earlier backup is replaced.
func TestBackup_RefusesToReplaceWhatIsNotABackup(t *testing.T) {
	t.Parallel()
	path := makeStoreCmdDB(t)
	dir := t.TempDir()

	config := filepath.Join(dir, "digitbot.toml")
	text := []byte("watched_channels = [\"123\"]\n")
	if err := os.WriteFile(config, text, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runStoreCmd("backup", "--db", path, "-o", config)
	if code != 2 || !strings.Contains(stderr, "--force") {
		t.Errorf("over a config file: exit %d, %q; want 2 naming --force", code, stderr)
	}
	if got, _ := os.ReadFile(config); string(got) != string(text) {
		t.Errorf("the config file was changed: %q", got)
	}
	if code, _, stderr := runStoreCmd("backup", "--force", "--db", path, "-o", config); code != 0 {
		t.Errorf("--force over a config file: exit %d, %s", code, stderr)
	}

	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// A directory stands for a device: a test must not risk /dev/null when
	// run as root.
	folder := filepath.Join(dir, "folder")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{fifo, folder} {
		code, _, stderr := runStoreCmd("backup", "--force", "--db", path, "-o", target)
		if code != 2 || !strings.Contains(stderr, "not a regular file") {
			t.Errorf("over %s: exit %d, %q; want 2", target, code, stderr)
		}
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v %v", st, err)
	}

	// An earlier backup is replaced, without --force; no temporary file
	// is left behind.
	earlier := filepath.Join(dir, "earlier.db")
	for range 2 {
		if code, _, stderr := runStoreCmd("backup", "--db", path, "-o", earlier); code != 0 {
			t.Fatalf("backup over an earlier backup: exit %d, %s", code, stderr)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}
