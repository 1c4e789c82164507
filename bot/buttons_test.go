package bot_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/fakediscord"
)

// answered posts a picture in the watched channel as alice and returns the
// bot's answer.
func (h *harness) answered(name string) *fakediscord.Message {
	h.t.Helper()
	msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(h.t, name)}})
	return h.replyTo(msg.ID)
}

func TestBot_PosterPressesRightDigit_SavesAndDisablesButtons(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	r := h.answered("digit-7.png")
	in := h.press(r, buttonID(t, r, "7"), alice, "en-US")
	if resp := in.Response(); resp.Type != int(discordgo.InteractionResponseUpdateMessage) {
		t.Errorf("response type %d, want 7 (update the answer)", resp.Type)
	}
	m := h.final(in)
	if !strings.Contains(embedText(m), "✅ Right") {
		t.Errorf("the answer does not say it was right:\n%s", embedText(m))
	}
	for _, b := range m.Buttons() {
		if !b.Disabled {
			t.Errorf("button %s still enabled after the evaluation", b.Label)
		}
		if b.Label == "7" && b.Style != discordgo.SuccessButton {
			t.Errorf("the true digit is not shown green: style %d", b.Style)
		}
	}
	if _, ok := m.File("seen-1.png"); !ok {
		t.Errorf("the edit dropped the 'what I saw' picture: %+v", m.Files)
	}
	if len(m.ShownTwice) > 0 {
		t.Errorf("after the edit Discord shows %q twice (embed URL instead of attachment://)", m.ShownTwice)
	}
	evals, err := h.st.History(h.ctx(), digitbot.Scope{UserID: aliceID}, 0)
	if err != nil || len(evals) != 1 {
		t.Fatalf("history = %v, %v; want one evaluation", evals, err)
	}
	if e := evals[0]; e.TrueDigit != 7 || e.Predicted != 7 || e.GuildID != guildID || e.FileName != "digit-7.png" {
		t.Errorf("stored evaluation %+v", e)
	}
}

func TestBot_PosterPressesWrongDigit_SaysWhatItWas(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	r := h.answered("digit-7.png")
	m := h.final(h.press(r, buttonID(t, r, "1"), alice, "en-US"))
	if !strings.Contains(embedText(m), "❌ It was a 1") {
		t.Errorf("the answer does not say it was a 1:\n%s", embedText(m))
	}
	for _, b := range m.Buttons() {
		if b.Label == "7" && b.Style != discordgo.DangerButton {
			t.Errorf("the wrong prediction is not shown red: style %d", b.Style)
		}
	}
	evals, _ := h.st.History(h.ctx(), digitbot.Scope{UserID: aliceID}, 0)
	if len(evals) != 1 || evals[0].TrueDigit != 1 || evals[0].Correct() {
		t.Errorf("stored %+v, want true digit 1 (wrong)", evals)
	}
}

func TestBot_StrangerPress_IsRefusedPrivatelyAndStoresNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	r := h.answered("digit-7.png")
	in := h.press(r, buttonID(t, r, "3"), bob, "en-US")
	if !in.Ephemeral() {
		t.Errorf("the refusal is not ephemeral")
	}
	if got := h.final(in); !strings.Contains(got.Content, "Only the person who posted the image") {
		t.Errorf("refusal = %q", got.Content)
	}
	if n := h.evaluations(digitbot.Scope{}); n != 0 {
		t.Errorf("%d evaluations stored after a stranger's press, want 0", n)
	}
	after, _ := h.srv.Message(r.ID)
	if after.Edits != 0 {
		t.Errorf("the answer was edited %d times after a stranger's press", after.Edits)
	}
	// The poster can still evaluate.
	m := h.final(h.press(r, buttonID(t, r, "7"), alice, "en-US"))
	if !strings.Contains(embedText(m), "✅") {
		t.Errorf("the poster could not evaluate after the stranger: %s", embedText(m))
	}
}

func TestBot_SecondPress_ChangesNothingAndSaysAlreadyEvaluated(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	r := h.answered("digit-7.png")
	// The first verdict is stored but the answer still shows live buttons,
	// as when editing the answer failed (or on a client that has not
	// refreshed): the buttons can be pressed again.
	predictionID := strings.Split(buttonID(t, r, "7"), ":")[1]
	if _, err := h.st.Evaluate(h.ctx(), predictionID, aliceID, 7); err != nil {
		t.Fatal(err)
	}
	in := h.press(r, buttonID(t, r, "2"), alice, "en-US")
	if !in.Ephemeral() {
		t.Errorf("the second press was not answered privately")
	}
	if got := h.final(in); !strings.Contains(got.Content, "already been saved") || !strings.Contains(got.Content, "right") {
		t.Errorf("second press note = %q", got.Content)
	}
	evals, _ := h.st.History(h.ctx(), digitbot.Scope{UserID: aliceID}, 0)
	if len(evals) != 1 || evals[0].TrueDigit != 7 {
		t.Errorf("the second press changed the evaluation: %+v", evals)
	}
	if after, _ := h.srv.Message(r.ID); after.Edits != 0 {
		t.Errorf("the answer was edited by the second press")
	}
}

func TestBot_ConcurrentDoubleClick_StoresOnceAndNotesTheOther(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	r := h.answered("digit-7.png")
	ids := []string{buttonID(t, r, "7"), buttonID(t, r, "1")}
	ins := make([]*fakediscord.Interaction, 2)
	var wg sync.WaitGroup
	for k := range ins {
		wg.Go(func() {
			in, err := h.srv.PressButton(fakediscord.ButtonOptions{Actor: fakediscord.Actor{User: alice}, MessageID: r.ID, CustomID: ids[k]})
			if err != nil {
				t.Errorf("press %d: %v", k, err)
				return
			}
			ins[k] = in
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	// Each press answers either at once or, when the store is slow (a busy
	// machine), after a deferral: the note then comes as a follow-up and
	// the update as an edit of the message. Wait for the outcome itself,
	// whichever way it came: the message evaluated, and one note.
	ctx := h.ctx()
	if _, err := h.srv.WaitMessage(ctx, func(m *fakediscord.Message) bool {
		return m.ID == r.ID && len(m.Buttons()) > 0 && m.Buttons()[0].Disabled
	}); err != nil {
		t.Fatalf("the answer was not updated: %v\nlogs:\n%s", err, h.logs.String())
	}
	note := func(m *fakediscord.Message) bool {
		return m.Author != nil && m.Author.ID == h.srv.AppID() && strings.Contains(m.Content, "already been saved")
	}
	if _, err := h.srv.WaitMessage(ctx, note); err != nil {
		t.Fatalf("no 'already saved' note: %v\nlogs:\n%s", err, h.logs.String())
	}
	notes := 0
	for _, m := range h.srv.Messages(channelID) {
		if note(m) {
			notes++
		}
	}
	if notes != 1 {
		t.Errorf("%d 'already saved' notes, want 1", notes)
	}
	for _, in := range ins {
		if in.Failed() {
			t.Errorf("press %s failed: %+v", in.ID(), in.Attempts())
		}
	}
	if n := h.evaluations(digitbot.Scope{UserID: aliceID}); n != 1 {
		t.Errorf("%d evaluations stored, want 1", n)
	}
}

func TestBot_PressInSpanish_AnswersInSpanish(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	r := h.answered("digit-7.png")
	in := h.press(r, buttonID(t, r, "4"), bob, "es-ES")
	if got := h.final(in); !strings.Contains(got.Content, "Solo quien publicó la imagen") {
		t.Errorf("Spanish refusal = %q", got.Content)
	}
	m := h.final(h.press(r, buttonID(t, r, "4"), alice, "es-419"))
	if !strings.Contains(embedText(m), "❌ Era un 4") {
		t.Errorf("Spanish verdict missing:\n%s", embedText(m))
	}
}
