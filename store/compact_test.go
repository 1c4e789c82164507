package store

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/digitbot/digitbot"
)

// After /forget the id is gone from the live records, but bbolt leaves the
// old bytes in free pages until they are reused. A compacted copy carries
// only live records, so not one byte of the id reaches it.
func TestStore_CompactTo_DropsForgottenBytesFromDisk(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	db := MustOpenDBWith(t, Options{Now: clock.Now})
	forgotten, kept := "user-forget-31337", "user-keep-42424"
	populate(t, db, clock, []string{forgotten, kept}, []string{"guild-88801", ""})
	if err := db.ForgetUser(bg, forgotten); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(t.TempDir(), "compacted.db")
	if err := db.CompactTo(out); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(forgotten)) {
		t.Fatal("the compacted file still holds the forgotten id somewhere in its bytes")
	}
	if !bytes.Contains(raw, []byte(kept)) {
		t.Fatal("the compacted file lost the other user's data")
	}

	copyDB, err := Open(out, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	MustCheck(t, copyDB)
	want, err := db.History(bg, digitbot.Scope{UserID: kept}, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := copyDB.History(bg, digitbot.Scope{UserID: kept}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(got) == 0 {
		t.Fatalf("compacted history has %d evaluations, original %d", len(got), len(want))
	}
}
