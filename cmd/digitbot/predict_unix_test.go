//go:build unix

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/digitbot/digitbot"
)

// TestPredict_FIFOAndDirectory_AreRefusedNotWaitedOn: a named pipe nobody
// writes to would block the open forever (and Ctrl-C with it); it is
// refused like a directory, and the other files are still classified.
func TestPredict_FIFOAndDirectory_AreRefusedNotWaitedOn(t *testing.T) {
	t.Parallel()
	dir, names, _ := predictFiles(t)
	fifo := filepath.Join(dir, "pipe.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	sub := filepath.Join(dir, "folder.png")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	_, stdout, stderr := runCLI(t, "predict", "--json", fifo, sub, names[0])
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s\nstderr: %s", len(lines), stdout, stderr)
	}
	for i, want := range []string{"named pipe", "directory"} {
		var got struct{ Code, Error string }
		if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
			t.Fatal(err)
		}
		if got.Code != digitbot.EINVALIDIMAGE || !strings.Contains(got.Error, want) {
			t.Errorf("line %d: %+v, want invalid_image naming a %s", i, got, want)
		}
	}
	if !strings.Contains(lines[2], `"digit"`) {
		t.Errorf("the regular file after them: %s", lines[2])
	}
}
