package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTokenFileWarning_WhenOthersCanRead: a token file readable by group or
// others gets a warning naming the fix; an owner-only file gets none.
func TestTokenFileWarning_WhenOthersCanRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for mode, warn := range map[os.FileMode]bool{0o600: false, 0o400: false, 0o640: true, 0o644: true, 0o604: true} {
		path := filepath.Join(dir, "token-"+mode.String())
		if err := os.WriteFile(path, []byte("secret-token\n"), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(path, mode) // past the umask
		got := tokenFileWarning(path)
		if (got != "") != warn {
			t.Errorf("mode %04o: warning %q, want warning=%v", mode, got, warn)
		}
		if warn && (!strings.Contains(got, "chmod 600") || strings.Contains(got, "secret-token")) {
			t.Errorf("mode %04o: %q must name the fix and not the token", mode, got)
		}
	}
	if got := tokenFileWarning(""); got != "" {
		t.Errorf("no token file: %q", got)
	}
}
