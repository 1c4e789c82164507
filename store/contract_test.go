package store

import (
	"testing"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/internal/storetest"
)

// TestStore_Contract runs the store contract suite (shared with the
// PostgreSQL store) on bbolt. Histories are written in one transaction
// (insertHistory), and every store is checked by bbolt on cleanup.
func TestStore_Contract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Backend{
		Open: func(tb testing.TB, opts storetest.Options) storetest.Store {
			return MustOpenDBWith(tb, Options{Now: opts.Now, PendingTTL: opts.PendingTTL, Logger: opts.Logger})
		},
		Find: func(tb testing.TB, s storetest.Store, needle string) []string {
			return findID(tb, s.(*DB), needle)
		},
		Insert: func(tb testing.TB, s storetest.Store, items []storetest.HistoryItem) []digitbot.Evaluation {
			return insertHistory(tb, s.(*DB), items)
		},
	})
}
