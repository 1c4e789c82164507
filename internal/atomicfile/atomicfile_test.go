package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWrite_ReplacesContentAndPermissions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := Write(path, 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, "new content")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new content" {
		t.Fatalf("content = %q, %v; want %q", got, err, "new content")
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("mode = %v, %v; want 0644", st.Mode().Perm(), err)
	}
	wantOnly(t, dir, "out.csv")
}

func TestWrite_FailureLeavesTheOldFileAndNoTemporary(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "stats.png")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full halfway")
	err := Write(path, 0o644, func(w io.Writer) error {
		io.WriteString(w, "half of the new")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the writer's error", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Fatalf("content = %q, want the old file", got)
	}
	wantOnly(t, dir, "stats.png")
}

func TestWrite_CreatesANewFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new.db")
	if err := Write(path, 0o600, func(w io.Writer) error { _, err := w.Write([]byte{1, 2, 3}); return err }); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path); err != nil || len(got) != 3 {
		t.Fatalf("content = %v, %v", got, err)
	}
	wantOnly(t, dir, "new.db")
}

// A library that writes by name may rename its own temporary file over the
// one Fill gave it (store.CompactTo does): what ends up at that name is
// what replaces the target.
func TestFill_TakesWhatFillLeftAtTheTemporaryName(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "backup.db")
	err := Fill(path, 0o600, func(tmp string) error {
		other := filepath.Join(dir, "other")
		if err := os.WriteFile(other, []byte("made elsewhere"), 0o666); err != nil {
			return err
		}
		return os.Rename(other, tmp)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "made elsewhere" {
		t.Fatalf("content = %q", got)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, %v; want 0600", st.Mode().Perm(), err)
	}
	wantOnly(t, dir, "backup.db")
}

func TestFill_RefusalLeavesTheTarget(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "backup.db")
	if err := os.WriteFile(path, []byte("earlier backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("the copy failed verification")
	err := Fill(path, 0o600, func(tmp string) error {
		if err := os.WriteFile(tmp, []byte("bad copy"), 0o600); err != nil {
			return err
		}
		return refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("err = %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "earlier backup" {
		t.Fatalf("content = %q, want the earlier backup", got)
	}
	wantOnly(t, dir, "backup.db")
}

func TestWrite_MissingDirectoryIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "f")
	if err := Write(path, 0o600, func(io.Writer) error { return nil }); err == nil {
		t.Fatal("wrote into a directory that does not exist")
	}
}

// wantOnly fails unless dir holds exactly the named entries: no temporary
// file is left behind.
func wantOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if len(got) != len(names) {
		t.Fatalf("%s holds %v, want %v", dir, got, names)
	}
	for i := range names {
		if got[i] != names[i] {
			t.Fatalf("%s holds %v, want %v", dir, got, names)
		}
	}
}
