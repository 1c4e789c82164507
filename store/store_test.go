package store

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/digitbot/digitbot/internal/storetest"
)

var bg = context.Background()

func TestStore_IDKey_RoundTripAndOrder(t *testing.T) {
	t.Parallel()
	var prev []byte
	base := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for i := range 200 {
		id := newID(base.Add(time.Duration(i) * time.Millisecond))
		k := idKey(id)
		if len(k) != 11 || keyID(k) != id {
			t.Fatalf("%s -> %x -> %s", id, k, keyID(k))
		}
		if prev != nil && bytes.Compare(prev, k) >= 0 {
			t.Fatalf("keys out of creation order: %x then %x", prev, k)
		}
		prev = k
	}
	for _, id := range []string{"fixed-id", "a", "0123456789ABCDEF", "0123456789abcdeu", "0123456789abcdef0", strings.Repeat("z", IDLength)} {
		k := idKey(id)
		if keyID(k) != id {
			t.Fatalf("%q -> %x -> %q", id, k, keyID(k))
		}
		if len(id) != IDLength || strings.Trim(id, idAlphabet) != "" {
			if string(k) != id {
				t.Fatalf("caller's id %q stored as %x", id, k)
			}
		}
	}
}

// A record keeps its creation time relative to the one its id holds; ids
// that only look drawn (a caller's, all 'z') still round-trip exactly.
func TestStore_SavePrediction_CreatedAtRelativeToID(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	at := time.Date(2026, 11, 26, 12, 0, 0, 123456789, time.UTC)
	for _, id := range []string{"", "zzzzzzzzzzzzzzzz", "0000000000000000", "fixed-id"} {
		p := storetest.Pred("111", "222", 1, 0.5)
		p.ID, p.CreatedAt = id, at
		p = storetest.MustSave(t, db, p)
		got, err := db.Prediction(bg, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.CreatedAt.Equal(at) || got.ID != p.ID {
			t.Fatalf("id %q: created %v, want %v", p.ID, got.CreatedAt, at)
		}
	}
}
