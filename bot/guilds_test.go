package bot_test

import (
	"errors"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/bot"
	"github.com/digitbot/digitbot/fakediscord"
)

// dmEvaluate posts a picture to the bot in a DM as who and presses truth.
func (h *harness) dmEvaluate(name, truth string) {
	h.t.Helper()
	msg := h.post(fakediscord.MessageOptions{DM: true, Author: alice, Attachments: []fakediscord.File{testImage(h.t, name)}})
	r := h.replyTo(msg.ID)
	h.final(h.press(r, buttonID(h.t, r, truth), alice, "en-US"))
}

func TestBot_RemovedFromServer_PurgesItsDataOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	h.evaluate(alice, "digit-7.png", "7")
	h.dmEvaluate("digit-1.png", "1")
	if err := h.st.SetGuildConfig(h.ctx(), digitbot.GuildConfig{GuildID: guildID, Threshold: 0.8}); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.RemoveBotFromGuild(guildID); err != nil {
		t.Fatal(err)
	}
	// The purge runs in chunks (predictions, then aggregates, then the
	// config): wait for the bot to report it finished, not for a first
	// count to reach zero.
	h.waitLog("its data was deleted")
	if n := h.evaluations(digitbot.Scope{GuildID: guildID}); n != 0 {
		t.Errorf("the server's evaluations survived: %d", n)
	}
	if n := h.evaluations(digitbot.Scope{UserID: aliceID}); n != 1 {
		t.Errorf("alice's DM evaluation was purged with the server: %d left", n)
	}
	if cfg, err := h.st.GuildConfig(h.ctx(), guildID); err != nil || cfg.Threshold != 0 {
		t.Errorf("the server's config survived: %+v, %v", cfg, err)
	}
}

func TestBot_ServerOutage_KeepsItsData(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	h.evaluate(alice, "digit-7.png", "7")
	if err := h.srv.GuildOutage(guildID); err != nil {
		t.Fatal(err)
	}
	h.waitLog("server unavailable")
	if n := h.evaluations(digitbot.Scope{GuildID: guildID}); n != 1 {
		t.Errorf("an outage deleted the server's data: %d evaluations left", n)
	}
}

func TestBot_TokenResetInThePortal_StopsWithAFatalError(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	h.srv.RevokeToken()
	select {
	case err := <-h.bot.Fatal():
		var ge *bot.GatewayError
		if !errors.As(err, &ge) || ge.CloseCode != 4004 {
			t.Errorf("fatal error = %v, want close code 4004", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the bot kept retrying a revoked token\nlogs:\n%s", h.logs.String())
	}
}
