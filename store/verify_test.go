package store

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/internal/storetest"
)

func TestStore_Verify_AcceptsAGoodFileAndLeavesItUnchanged(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	insertHistory(t, db, []historyItem{{Pred: storetest.Pred("111", "222", 3, 0.9), Evaluated: true, TrueDigit: 3}})
	backup := filepath.Join(t.TempDir(), "copy.db")
	if err := db.BackupFile(backup); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(backup); err != nil {
		t.Fatalf("Verify(good copy) = %v", err)
	}
	after, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("Verify changed the file")
	}
}

func TestStore_Verify_RefusesNewerSchema(t *testing.T) {
	t.Parallel()
	err := Verify(newerSchemaFile(t))
	if err == nil || !strings.Contains(digitbot.ErrorMessage(err), "up to version") {
		t.Fatalf("Verify(newer schema) = %v, want the schema refusal", err)
	}
}

func TestStore_Verify_RefusesMissingAndForeignFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	wantCode(t, Verify(filepath.Join(dir, "nope.db")), digitbot.ENOTFOUND)
	foreign := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(foreign, bytes.Repeat([]byte("token = \"x\"\n"), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Verify(foreign); err == nil {
		t.Fatal("Verify accepted a file that is not a database")
	}
}

// Keys out of order inside a page are what bbolt's consistency check finds
// and a plain open does not: the meta pages are intact, so only the check
// can refuse this file. (A page of an unknown type would not do: bbolt
// panics on it instead of reporting it.)
func TestStore_Verify_RefusesKeysOutOfOrder(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	var items []historyItem
	for i := range 200 {
		items = append(items, historyItem{Pred: storetest.Pred("111", "222", i%10, 0.5), Evaluated: true, TrueDigit: i % 10})
	}
	insertHistory(t, db, items)
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := db.CompactTo(path); err != nil {
		t.Fatal(err)
	}
	if err := Verify(path); err != nil {
		t.Fatalf("intact copy: %v", err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !swapFirstKeyUp(raw, os.Getpagesize()) {
		t.Fatal("found no leaf page to damage")
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	err = Verify(path)
	if err == nil || !strings.Contains(err.Error(), "consistency check") {
		t.Fatalf("Verify(keys out of order) = %v, want a consistency check failure", err)
	}
}

// swapFirstKeyUp finds the first leaf page (page header: id 8 bytes, flags
// 2, count 2, overflow 4) with at least two plain key/value elements and
// sets every byte of its first key to 0xFF, so that it sorts after the
// second. A leaf element is flags, pos, ksize, vsize (4 bytes each), the
// key at the element's address + pos.
func swapFirstKeyUp(raw []byte, pageSize int) bool {
	for off := 2 * pageSize; off+pageSize <= len(raw); off += pageSize {
		flags := binary.LittleEndian.Uint16(raw[off+8:])
		count := binary.LittleEndian.Uint16(raw[off+10:])
		if flags != 0x02 || count < 2 {
			continue
		}
		elem := off + 16
		if binary.LittleEndian.Uint32(raw[elem:]) != 0 { // a nested bucket
			continue
		}
		pos := int(binary.LittleEndian.Uint32(raw[elem+4:]))
		ksize := int(binary.LittleEndian.Uint32(raw[elem+8:]))
		key := raw[elem+pos : elem+pos+ksize]
		for i := range key {
			key[i] = 0xFF
		}
		return true
	}
	return false
}
