package store

import (
	"testing"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/internal/storetest"
)

var (
	testUsers  = []string{"user-alpha-81723", "user-bravo-27361", "user-charlie-9917", "user-delta-44120"}
	testGuilds = []string{"guild-north-3391", "guild-south-7702", ""} // "" = DMs
)

// checkAgainstBruteForce compares Stats and History of every scope with
// digitbot.NewStats and a sort of the evaluations.
func checkAgainstBruteForce(t *testing.T, db *DB, evals []digitbot.Evaluation) {
	t.Helper()
	storetest.CheckScopes(t, db, evals, storetest.AllScopes())
}
