package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/internal/storetest"
	bolt "go.etcd.io/bbolt"
)

func TestStore_Open_LockedBySecondOpener(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "digitbot.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, readOnly := range []bool{false, true} {
		start := time.Now()
		second, err := Open(path, Options{Timeout: 200 * time.Millisecond, ReadOnly: readOnly})
		elapsed := time.Since(start)
		if err == nil {
			second.Close()
			t.Fatalf("read-only=%v: second Open succeeded while the file is held", readOnly)
		}
		wantCode(t, err, digitbot.EUNAVAILABLE)
		if msg := digitbot.ErrorMessage(err); !strings.Contains(msg, "database "+path+" is in use by another process") {
			t.Fatalf("unclear message %q", msg)
		}
		if elapsed > 2*time.Second {
			t.Fatalf("second Open took %v, timeout was 200ms", elapsed)
		}
	}
	// Once the first closes, the file opens again.
	db.Close()
	again, err := Open(path, Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	again.Close()
}

func TestStore_Open_ReadOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, err := Open(filepath.Join(dir, "missing.db"), Options{ReadOnly: true})
	wantCode(t, err, digitbot.ENOTFOUND)

	path := filepath.Join(dir, "digitbot.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := storetest.MustSave(t, db, storetest.Pred("", "222", 1, 0.5))
	db.Close()
	// Two readers share the file.
	r1, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if _, err := r2.Prediction(bg, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := r1.SavePrediction(bg, &digitbot.Prediction{UserID: "x"}); err == nil {
		t.Fatal("write to a read-only database succeeded")
	}
}

func writeVersion(t *testing.T, path string, v int) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, versionBytes(v))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// newerSchemaFile creates a database written by a later digitbot: its
// schema version is one above this binary's.
func newerSchemaFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "digitbot.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	writeVersion(t, path, SchemaVersion+1)
	return path
}

func TestStore_Schema_NewerVersionRefused(t *testing.T) {
	t.Parallel()
	path := newerSchemaFile(t)
	for _, ro := range []bool{false, true} {
		_, err := Open(path, Options{ReadOnly: ro})
		if err == nil {
			t.Fatal("opened a file from the future")
		}
		msg := digitbot.ErrorMessage(err)
		if !strings.Contains(msg, fmt.Sprintf("schema version %d", SchemaVersion+1)) || !strings.Contains(msg, fmt.Sprintf("up to version %d", SchemaVersion)) {
			t.Fatalf("message does not name both versions: %q", msg)
		}
	}
	// The refusal did not touch the file.
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.View(func(tx *bolt.Tx) error {
		if v, _, _ := readVersion(tx); v != SchemaVersion+1 {
			t.Errorf("version rewritten to %d", v)
		}
		return nil
	})
}

func TestStore_Schema_MigrationTableReachesCurrentVersion(t *testing.T) {
	t.Parallel()
	v := 0
	for _, m := range migrations() {
		if m.From != v || m.Up == nil {
			t.Fatalf("migration table has a gap at version %d", v)
		}
		v++
	}
	if v != SchemaVersion {
		t.Fatalf("migrations end at %d, SchemaVersion is %d", v, SchemaVersion)
	}
}

func TestStore_Open_NotABoltFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "junk.db")
	if err := writeFile(path, strings.Repeat("not a database ", 500)); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, Options{})
	wantCode(t, err, digitbot.EUNAVAILABLE)
	if !strings.Contains(digitbot.ErrorMessage(err), path) || errors.Unwrap(err) == nil {
		t.Fatalf("error does not name the file or lost the cause: %v", err)
	}
}
