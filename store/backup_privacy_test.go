package store

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/digitbot/digitbot/internal/storetest"
)

// TestStore_BackupNow_CarriesNoForgottenBytes: a scheduled backup taken
// right after /forget holds nothing of the forgotten user, not even in
// free pages (which a plain page copy carries over).
func TestStore_BackupNow_CarriesNoForgottenBytes(t *testing.T) {
	t.Parallel()
	db := MustOpenDBWith(t, Options{})
	secret := "forgotten-user-secret-name.png"
	for i := range 50 {
		p := storetest.Pred("111", "333", i%10, 0.9)
		p.FileName = secret
		p = storetest.MustSave(t, db, p)
		if _, err := db.Evaluate(bg, p.ID, "333", i%10); err != nil {
			t.Fatal(err)
		}
	}
	kept := storetest.MustSave(t, db, storetest.Pred("111", "222", 4, 0.8))
	if err := db.ForgetUser(bg, "333"); err != nil {
		t.Fatal(err)
	}
	path, err := db.BackupNow(filepath.Join(t.TempDir(), "backups"), 2)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(secret)) {
		t.Error("the backup still holds the forgotten user's file name")
	}
	b, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Prediction(bg, kept.ID); err != nil {
		t.Errorf("the other user's prediction is missing from the backup: %v", err)
	}
}
