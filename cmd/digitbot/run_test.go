package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// unsetenv removes variables for one test, restoring them afterwards.
func unsetenv(t *testing.T, names ...string) {
	for _, n := range names {
		t.Setenv(n, "") // registers the restore
		os.Unsetenv(n)
	}
}

func TestRun_NoToken_ExitsTwoNamingTheVariables(t *testing.T) {
	unsetenv(t, "DIGITBOT_TOKEN", "DIGITBOT_TOKEN_FILE", "DIGITBOT_DATABASE")
	t.Chdir(t.TempDir())
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"run"}, &stdout, &stderr)
	if code != 2 {
		t.Fatalf("exit status = %d, want 2; stderr: %s", code, stderr.String())
	}
	for _, want := range []string{"DIGITBOT_TOKEN", "DIGITBOT_TOKEN_FILE"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not name %s: %q", want, stderr.String())
		}
	}
	if _, err := os.Stat("digitbot.db"); err == nil {
		t.Error("a database file was created although the bot could not start")
	}
}

func TestRun_BadConfigValue_ExitsTwoNamingTheKey(t *testing.T) {
	unsetenv(t, "DIGITBOT_TOKEN_FILE")
	t.Setenv("DIGITBOT_TOKEN", "Bot abc")
	dir := t.TempDir()
	path := filepath.Join(dir, "digitbot.toml")
	if err := os.WriteFile(path, []byte("threshold = 1.5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"run", "--config", path}, &stdout, &stderr)
	if code != 2 {
		t.Fatalf("exit status = %d, want 2; stderr: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "threshold") {
		t.Errorf("stderr does not name the bad key: %q", stderr.String())
	}
	if strings.Contains(stderr.String(), "abc") {
		t.Errorf("stderr leaks the token: %q", stderr.String())
	}
}

func TestRun_UnexpectedArgument_IsAUsageError(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"run", "extra"}, &stdout, &stderr); code != 2 {
		t.Fatalf("exit status = %d, want 2", code)
	}
}
