package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
)

// saveEvaluated stores an evaluated prediction directly in the store.
func (h *harness) saveEvaluated(guild, user string, digit int) {
	h.t.Helper()
	p := digitbot.Prediction{GuildID: guild, ChannelID: "1200000000000000998", UserID: user, FileName: "x.png", Digit: digit, Confidence: 0.9}
	p.Probabilities[digit] = 0.9
	if err := h.st.SavePrediction(context.Background(), &p); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.st.Evaluate(context.Background(), p.ID, user, digit); err != nil {
		h.t.Fatal(err)
	}
}

// TestBot_RemovedWhileOffline_PurgedAtReady: a server the bot left while it
// was not running never sends GUILD_DELETE; at READY its data is purged.
// The servers it is still in, one of them in an outage (unavailable is not
// removed), and DMs keep theirs.
func TestBot_RemovedWhileOffline_PurgedAtReady(t *testing.T) {
	t.Parallel()
	const goneID = "1200000000000000999"
	o := realHarness()
	o.noStart = true
	h := newHarness(t, o)
	h.saveEvaluated(goneID, aliceID, 3)
	h.saveEvaluated(goneID, bobID, 4)
	h.saveEvaluated(guildID, aliceID, 5)
	h.saveEvaluated("", aliceID, 6)
	if err := h.srv.GuildOutage(guildID); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.bot.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	// Wait for the bot to report the purge done, not for a count to drop.
	h.waitLog(`"guild_id":"`+goneID+`"`, "its data was deleted")
	if n := h.evaluations(digitbot.Scope{GuildID: goneID}); n != 0 {
		t.Errorf("%d evaluations of the server left while offline survive", n)
	}
	if n := h.evaluations(digitbot.Scope{GuildID: guildID}); n != 1 {
		t.Errorf("the server in an outage lost its data: %d evaluations left, want 1", n)
	}
	if n := h.evaluations(digitbot.Scope{UserID: aliceID}); n != 2 {
		t.Errorf("alice has %d evaluations left, want 2 (the outage server and the DM)", n)
	}
	queued, err := h.db.QueuedGuildPurges(context.Background())
	if err != nil || len(queued) != 0 {
		t.Errorf("purge queue after the purge: %v %v, want empty", queued, err)
	}
}

// TestBot_KeepMissingGuilds_PurgesNothingAtReady: a bot told that its
// Discord is not the one that wrote the database (the playground) leaves
// the servers it does not see alone.
func TestBot_KeepMissingGuilds_PurgesNothingAtReady(t *testing.T) {
	t.Parallel()
	const realID = "1200000000000000999"
	o := defaultHarness()
	o.noStart = true
	o.keepMissingGuilds = true
	h := newHarness(t, o)
	h.saveEvaluated(realID, aliceID, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.bot.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	// Shutdown waits for all tracked work, a purge started at READY too.
	if err := h.bot.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if n := h.evaluations(digitbot.Scope{GuildID: realID}); n != 1 {
		t.Errorf("%d evaluations of the unseen server left, want 1", n)
	}
	if strings.Contains(h.logs.String(), "left while offline") {
		t.Errorf("a purge was started")
	}
}
