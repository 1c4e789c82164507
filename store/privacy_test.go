package store

import (
	"testing"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/internal/storetest"
)

// populate writes, through the public API, evaluated and pending
// predictions of two users in two servers and in DMs, plus a server config
// last changed by the first user. It returns the evaluations.
func populate(t *testing.T, db *DB, clock *fakeClock, users, guilds []string) []digitbot.Evaluation {
	t.Helper()
	var evals []digitbot.Evaluation
	for i := range 24 {
		p := storetest.Pred(guilds[i%len(guilds)], users[i%len(users)], i%10, 0.5+float64(i)/100)
		p.MessageID, p.AttachmentID = "900"+p.UserID, "901"+p.GuildID // ids embedded in other fields too
		p = storetest.MustSave(t, db, p)
		clock.Add(5 * time.Hour)
		if i%4 == 3 {
			continue // stays pending
		}
		e, err := db.Evaluate(bg, p.ID, p.UserID, (i*3)%10)
		if err != nil {
			t.Fatal(err)
		}
		evals = append(evals, e)
	}
	return evals
}
