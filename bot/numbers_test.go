package bot_test

import (
	"bytes"
	"image/png"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/fakediscord"
	"github.com/digitbot/digitbot/internal/digitbottest"
)

// numbers is a harness on the scripted classifier and the in-memory store:
// picture name → the reading scripted for its bytes.
type numbers struct {
	*harness
	cls   *digitbottest.Classifier
	store *digitbottest.Store
}

func newNumbers(t *testing.T, o harnessOptions, script map[string]digitbot.Prediction) *numbers {
	t.Helper()
	cls, st := digitbottest.NewClassifier(), digitbottest.NewStore()
	for name, p := range script {
		cls.Script(testImage(t, name).Data, p)
	}
	o.classifier, o.store = cls, st
	return &numbers{harness: newHarness(t, o), cls: cls, store: st}
}

// reading2026 is "2026" with its 3rd digit under the 70% threshold.
var reading2026 = digitbottest.Number("2026", 0.99, 0.97, 0.55, 0.93)

func (h *numbers) posted(name string, who *discordgo.User) *fakediscord.Message {
	h.t.Helper()
	msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: who, Attachments: []fakediscord.File{testImage(h.t, name)}})
	return h.replyTo(msg.ID)
}

// openFix presses "Correct it" and returns the interaction answered with
// the modal.
func (h *numbers) openFix(r *fakediscord.Message, who *discordgo.User, locale string) (*fakediscord.Interaction, fakediscord.Modal) {
	h.t.Helper()
	in := h.press(r, buttonID(h.t, r, fixLabel(locale)), who, locale)
	if resp := in.Response(); resp.Type != int(discordgo.InteractionResponseModal) {
		h.t.Fatalf("Correct it answered with type %d, want 9 (a modal); attempts %+v", resp.Type, in.Attempts())
	}
	m, ok := in.Modal()
	if !ok {
		h.t.Fatal("no modal recorded")
	}
	return in, m
}

func fixLabel(locale string) string {
	if strings.HasPrefix(locale, "es") {
		return "✏️ Corregir"
	}
	return "✏️ Correct it"
}

// submit submits the modal with the number typed and waits for the answer.
func (h *numbers) submit(opened *fakediscord.Interaction, typed, locale string) *fakediscord.Interaction {
	h.t.Helper()
	in, err := h.srv.SubmitModal(fakediscord.ModalSubmitOptions{Opened: opened, Values: map[string]string{"number": typed}, Locale: locale})
	if err != nil {
		h.t.Fatalf("SubmitModal: %v", err)
	}
	if _, err := in.WaitResponse(h.ctx()); err != nil {
		h.t.Fatalf("no response to the modal: %v\nlogs:\n%s", err, h.logs.String())
	}
	return in
}

func (h *numbers) stored() []digitbot.Evaluation {
	h.t.Helper()
	evals, err := h.store.History(h.ctx(), digitbot.Scope{}, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	return evals
}

func TestNumbers_Reply_ShowsTheNumberEachDigitAndOneStrip(t *testing.T) {
	t.Parallel()
	h := newNumbers(t, defaultHarness(), map[string]digitbot.Prediction{"digit-2.png": reading2026})
	r := h.posted("digit-2.png", alice)
	text := embedText(r)
	for _, want := range []string{"# 2026", "I'm not sure about the 3rd digit", "**2** · 99.0%", "**2** · 55.0% ⚠️", "**6** · 93.0%"} {
		if !strings.Contains(text, want) {
			t.Errorf("the answer lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "1st digit") || strings.Contains(text, "4th digit") {
		t.Errorf("a confident digit is named unsure:\n%s", text)
	}
	e := r.Embeds[0]
	if e.Color != 0xE74C3C {
		t.Errorf("colour %06x, want red (the least confident digit is under the threshold)", e.Color)
	}
	// Discord resolves attachment://seen-1.png to the file's CDN address.
	if e.Image == nil || !strings.Contains(e.Image.URL, "/seen-1.png") || e.Thumbnail != nil {
		t.Errorf("the strip is not the embed's image: %+v", e.Image)
	}
	if len(r.Files) != 1 {
		t.Fatalf("%d files, want one picture: %+v", len(r.Files), r.Files)
	}
	img, err := png.Decode(bytes.NewReader(r.Files[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	// Four 112-px digits and three 6-px gaps.
	if b := img.Bounds(); b.Dx() != 4*112+3*6 || b.Dy() != 112 {
		t.Errorf("strip is %v, want 466x112", b)
	}
	var labels []string
	for _, b := range r.Buttons() {
		labels = append(labels, b.Label)
	}
	if strings.Join(labels, "|") != "✅ Right|✏️ Correct it" {
		t.Errorf("buttons %q, want Right and Correct it", labels)
	}
}

func TestNumbers_ConfidentNumber_IsGreenAndNamesNoDigit(t *testing.T) {
	t.Parallel()
	h := newNumbers(t, defaultHarness(), map[string]digitbot.Prediction{"digit-3.png": digitbottest.Number("31", 0.98, 0.91)})
	r := h.posted("digit-3.png", alice)
	if r.Embeds[0].Color != 0x2ECC71 || strings.Contains(embedText(r), "not sure") {
		t.Errorf("confident number shown as unsure (colour %06x):\n%s", r.Embeds[0].Color, embedText(r))
	}
}

func TestNumbers_Right_SavesAndDisablesButtons(t *testing.T) {
	t.Parallel()
	h := newNumbers(t, defaultHarness(), map[string]digitbot.Prediction{"digit-2.png": reading2026})
	r := h.posted("digit-2.png", alice)
	in := h.press(r, buttonID(t, r, "✅ Right"), alice, "en-US")
	if resp := in.Response(); resp.Type != int(discordgo.InteractionResponseUpdateMessage) {
		t.Errorf("response type %d, want 7", resp.Type)
	}
	m := h.final(in)
	if !strings.Contains(embedText(m), "✅ Right! Evaluation saved.") {
		t.Errorf("no verdict on the answer:\n%s", embedText(m))
	}
	for _, b := range m.Buttons() {
		if !b.Disabled {
			t.Errorf("button %q still enabled", b.Label)
		}
	}
	if _, ok := m.File("seen-1.png"); !ok {
		t.Errorf("the update dropped the strip")
	}
	if len(m.ShownTwice) > 0 || len(m.Unrendered) > 0 {
		t.Errorf("after the update Discord shows %q twice and %q raw", m.ShownTwice, m.Unrendered)
	}
	evals := h.stored()
	if len(evals) != 1 || evals[0].Number == nil || evals[0].Number.True != "2026" || !evals[0].Correct() {
		t.Fatalf("stored %+v", evals)
	}
}

func TestNumbers_CorrectIt_OpensAPrefilledModal_ThenSavesTheTypedNumber(t *testing.T) {
	t.Parallel()
	h := newNumbers(t, defaultHarness(), map[string]digitbot.Prediction{"digit-2.png": reading2026})
	r := h.posted("digit-2.png", alice)
	opened, modal := h.openFix(r, alice, "en-US")
	if len(modal.Inputs) != 1 {
		t.Fatalf("modal %+v, want one input", modal)
	}
	if in := modal.Inputs[0]; in.Value != "2026" || in.Style != 1 || in.MinLength != 1 || in.MaxLength != 12 || !in.Required {
		t.Errorf("input %+v: want short, prefilled 2026, 1-12 characters, required", in)
	}
	if len(modal.Title) == 0 || len([]rune(modal.Title)) > 45 {
		t.Errorf("title %q", modal.Title)
	}
	if n := len(h.stored()); n != 0 {
		t.Fatalf("opening the modal stored %d evaluations", n)
	}
	in := h.submit(opened, "2028", "en-US")
	if in.Ephemeral() {
		t.Errorf("the verdict went privately instead of onto the answer")
	}
	m := h.final(in)
	if len(r.Unrendered) > 0 || len(m.Unrendered) > 0 || len(m.ShownTwice) > 0 {
		t.Errorf("markup shown raw %q %q, pictures shown twice %q", r.Unrendered, m.Unrendered, m.ShownTwice)
	}
	if m.ID != r.ID || !strings.Contains(embedText(m), "❌ It was 2028") {
		t.Errorf("answer %s after the correction:\n%s", m.ID, embedText(m))
	}
	for _, b := range m.Buttons() {
		if !b.Disabled {
			t.Errorf("button %q still enabled", b.Label)
		}
	}
	evals := h.stored()
	if len(evals) != 1 || evals[0].Number.True != "2028" || evals[0].SegmentationError() || len(evals[0].DigitVerdicts()) != 4 {
		t.Fatalf("stored %+v", evals)
	}
}

func TestNumbers_CorrectIt_WithAnotherLength_IsASegmentationError(t *testing.T) {
	t.Parallel()
	h := newNumbers(t, defaultHarness(), map[string]digitbot.Prediction{"digit-2.png": reading2026})
	r := h.posted("digit-2.png", alice)
	opened, _ := h.openFix(r, alice, "en-US")
	m := h.final(h.submit(opened, "  20286 ", "en-US"))
	if !strings.Contains(embedText(m), "❌ It was 20286") {
		t.Errorf("answer:\n%s", embedText(m))
	}
	evals := h.stored()
	if len(evals) != 1 || evals[0].Number.True != "20286" || !evals[0].SegmentationError() {
		t.Fatalf("stored %+v", evals)
	}
}

func TestNumbers_CorrectIt_RefusesWhatIsNotANumber_AndStoresNothing(t *testing.T) {
	t.Parallel()
	h := newNumbers(t, defaultHarness(), map[string]digitbot.Prediction{"digit-2.png": reading2026})
	r := h.posted("digit-2.png", alice)
	for typed, want := range map[string]string{"12a4": "“12a4” isn't a number", "   ": "You didn't type a number"} {
		opened, _ := h.openFix(r, alice, "en-US")
		in := h.submit(opened, typed, "en-US")
		if !in.Ephemeral() {
			t.Errorf("%q: the refusal is public", typed)
		}
		if got := h.final(in); !strings.Contains(got.Content, want) || !strings.Contains(got.Content, "Nothing was saved") {
			t.Errorf("%q: refusal %q", typed, got.Content)
		}
	}
	if n := len(h.stored()); n != 0 {
		t.Errorf("%d evaluations stored", n)
	}
	if after, _ := h.srv.Message(r.ID); after.Edits != 0 {
		t.Errorf("the answer was edited %d times", after.Edits)
	}
	// The poster can still correct it.
	opened, _ := h.openFix(r, alice, "en-US")
	if m := h.final(h.submit(opened, "2026", "en-US")); !strings.Contains(embedText(m), "✅ Right") {
		t.Errorf("after the refusals:\n%s", embedText(m))
	}
}

func TestNumbers_StrangersPresses_AreRefusedPrivately_NoModal(t *testing.T) {
	t.Parallel()
	h := newNumbers(t, defaultHarness(), map[string]digitbot.Prediction{"digit-2.png": reading2026})
	r := h.posted("digit-2.png", alice)
	for _, label := range []string{"✅ Right", "✏️ Correct it"} {
		in := h.press(r, buttonID(t, r, label), bob, "en-US")
		if in.Response().Type == int(discordgo.InteractionResponseModal) {
			t.Errorf("%s: a stranger got the modal", label)
			continue
		}
		if got := h.final(in); !in.Ephemeral() || !strings.Contains(got.Content, "Only the person who posted the image") {
			t.Errorf("%s: refusal %q (ephemeral %v)", label, got.Content, in.Ephemeral())
		}
	}
	if n := len(h.stored()); n != 0 {
		t.Errorf("%d evaluations stored after a stranger's presses", n)
	}
	if after, _ := h.srv.Message(r.ID); after.Edits != 0 {
		t.Errorf("the answer was edited after a stranger's presses")
	}
}

func TestNumbers_StrangersModalSubmit_IsRefusedPrivately(t *testing.T) {
	t.Parallel()
	h := newNumbers(t, defaultHarness(), map[string]digitbot.Prediction{"digit-2.png": reading2026})
	r := h.posted("digit-2.png", alice)
	// When the store cannot say who posted the image in time, the modal
	// opens for whoever pressed: the submission is where the rule holds.
	h.store.FailPredictionReads(digitbot.Errorf(digitbot.EUNAVAILABLE, "store busy"))
	opened, _ := h.openFix(r, bob, "en-US")
	h.store.FailPredictionReads(nil)
	in := h.submit(opened, "2028", "en-US")
	if got := h.final(in); !in.Ephemeral() || !strings.Contains(got.Content, "Only the person who posted the image") {
		t.Errorf("refusal %q (ephemeral %v)", got.Content, in.Ephemeral())
	}
	if n := len(h.stored()); n != 0 {
		t.Errorf("%d evaluations stored after a stranger's submission", n)
	}
	if after, _ := h.srv.Message(r.ID); after.Edits != 0 {
		t.Errorf("the answer was edited after a stranger's submission")
	}
}

func TestNumbers_SecondSubmit_ChangesNothingAndSaysSo(t *testing.T) {
	t.Parallel()
	h := newNumbers(t, defaultHarness(), map[string]digitbot.Prediction{"digit-2.png": reading2026})
	r := h.posted("digit-2.png", alice)
	// Two modals opened before either was sent, as with two clients.
	first, _ := h.openFix(r, alice, "en-US")
	second, _ := h.openFix(r, alice, "en-US")
	h.final(h.submit(first, "2028", "en-US"))
	in := h.submit(second, "2029", "en-US")
	if got := h.final(in); !in.Ephemeral() || !strings.Contains(got.Content, "already been saved: ❌ it was 2028") {
		t.Errorf("second submission note %q (ephemeral %v)", got.Content, in.Ephemeral())
	}
	if evals := h.stored(); len(evals) != 1 || evals[0].Number.True != "2028" {
		t.Errorf("stored %+v", evals)
	}
	if after, _ := h.srv.Message(r.ID); after.Edits != 1 || !strings.Contains(embedText(after), "2028") {
		t.Errorf("the answer changed after the second submission (%d edits):\n%s", after.Edits, embedText(after))
	}
	for _, b := range r.Buttons() {
		if _, err := h.srv.PressButton(fakediscord.ButtonOptions{Actor: fakediscord.Actor{User: alice}, MessageID: r.ID, CustomID: b.CustomID}); err == nil {
			t.Errorf("button %q can still be pressed", b.Label)
		}
	}
}

func TestNumbers_PressAfterAVerdict_SaysAlreadyEvaluated(t *testing.T) {
	t.Parallel()
	h := newNumbers(t, defaultHarness(), map[string]digitbot.Prediction{"digit-2.png": reading2026})
	r := h.posted("digit-2.png", alice)
	// The verdict is stored but the answer still shows live buttons, as
	// when editing it failed.
	id := strings.Split(buttonID(t, r, "✅ Right"), ":")[1]
	if _, err := h.store.EvaluateNumber(h.ctx(), id, aliceID, "2026"); err != nil {
		t.Fatal(err)
	}
	for _, label := range []string{"✅ Right", "✏️ Correct it"} {
		in := h.press(r, buttonID(t, r, label), alice, "en-US")
		if got := h.final(in); !in.Ephemeral() || !strings.Contains(got.Content, "already been saved: ✅ right") {
			t.Errorf("%s: note %q", label, got.Content)
		}
	}
	if after, _ := h.srv.Message(r.ID); after.Edits != 0 {
		t.Errorf("the answer was edited")
	}
}

func TestNumbers_NumberAndDigitInOneMessage_EachKeepsItsButtons(t *testing.T) {
	t.Parallel()
	h := newNumbers(t, defaultHarness(), map[string]digitbot.Prediction{
		"digit-2.png": reading2026,
		"digit-7.png": digitbottest.Digit(7, 0.96),
	})
	msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-2.png"), testImage(t, "digit-7.png")}})
	replies := h.repliesTo(msg.ID, 2)
	var number, digit *fakediscord.Message
	for _, r := range replies {
		switch len(r.Buttons()) {
		case 2:
			number = r
		case 10:
			digit = r
		}
	}
	if number == nil || digit == nil {
		t.Fatalf("want one number answer (2 buttons) and one digit answer (10 buttons): %d replies", len(replies))
	}
	if !strings.Contains(embedText(number), "# 2026") || !strings.Contains(embedText(digit), "# 7") {
		t.Errorf("answers:\n%s\n---\n%s", embedText(number), embedText(digit))
	}
	if digit.Embeds[0].Thumbnail == nil || digit.Embeds[0].Image != nil {
		t.Errorf("the one-digit answer changed its picture's place")
	}
	h.final(h.press(digit, buttonID(t, digit, "7"), alice, "en-US"))
	opened, _ := h.openFix(number, alice, "en-US")
	h.final(h.submit(opened, "2020", "en-US"))
	evals := h.stored()
	if len(evals) != 2 {
		t.Fatalf("stored %+v", evals)
	}
	for _, e := range evals {
		if (e.Number == nil && e.TrueDigit != 7) || (e.Number != nil && e.Number.True != "2020") {
			t.Errorf("stored %+v", e)
		}
	}
}

func TestNumbers_Spanish(t *testing.T) {
	t.Parallel()
	o := defaultHarness()
	o.defaultLocale = "es"
	h := newNumbers(t, o, map[string]digitbot.Prediction{"digit-2.png": digitbottest.Number("2026", 0.55, 0.97, 0.60, 0.93)})
	r := h.posted("digit-2.png", alice)
	text := embedText(r)
	for _, want := range []string{"No estoy seguro de los dígitos 1.º y 3.º", "55,0 %", "Dígito a dígito"} {
		if !strings.Contains(text, want) {
			t.Errorf("Spanish answer lacks %q:\n%s", want, text)
		}
	}
	if in := h.press(r, buttonID(t, r, "✏️ Corregir"), bob, "es-ES"); !strings.Contains(h.final(in).Content, "Solo quien publicó la imagen") {
		t.Errorf("Spanish refusal missing")
	}
	opened, modal := h.openFix(r, alice, "es-ES")
	if modal.Title != "¿Qué número escribiste?" {
		t.Errorf("modal title %q", modal.Title)
	}
	if got := h.final(h.submit(opened, "20x6", "es-ES")); !strings.Contains(got.Content, "«20x6» no es un número") {
		t.Errorf("Spanish invalid note %q", got.Content)
	}
	opened, _ = h.openFix(r, alice, "es-419")
	if m := h.final(h.submit(opened, "2028", "es-419")); !strings.Contains(embedText(m), "❌ Era el 2028") {
		t.Errorf("Spanish verdict:\n%s", embedText(m))
	}
}

func TestNumbers_SingleUnsureDigit_IsNamedInSpanishBeforeTheNoun(t *testing.T) {
	t.Parallel()
	o := defaultHarness()
	o.defaultLocale = "es"
	h := newNumbers(t, o, map[string]digitbot.Prediction{"digit-2.png": reading2026})
	if text := embedText(h.posted("digit-2.png", alice)); !strings.Contains(text, "No estoy seguro del 3.er dígito") {
		t.Errorf("answer:\n%s", text)
	}
}

func TestNumbers_EveryPath_AnswersWithTheNumber(t *testing.T) {
	t.Parallel()
	o := defaultHarness()
	o.globalCommands = true
	h := newNumbers(t, o, map[string]digitbot.Prediction{"digit-2.png": reading2026})
	check := func(path string, m *fakediscord.Message) {
		t.Helper()
		if !strings.Contains(embedText(m), "# 2026") || len(m.Buttons()) != 2 || len(m.Files) != 1 {
			t.Errorf("%s: answer %q with %d buttons and %d files", path, embedText(m), len(m.Buttons()), len(m.Files))
		}
	}
	mention := h.post(fakediscord.MessageOptions{ChannelID: otherChannelID, Author: alice, MentionBot: true, Attachments: []fakediscord.File{testImage(t, "digit-2.png")}})
	check("mention", h.replyTo(mention.ID))
	dm := h.post(fakediscord.MessageOptions{DM: true, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-2.png")}})
	check("DM", h.replyTo(dm.ID))
	check("/predict", h.final(h.slash(fakediscord.CommandOptions{Name: "predict", Actor: fakediscord.Actor{User: alice, ChannelID: channelID}, Options: map[string]any{"image": testImage(t, "digit-2.png")}})))
	target := h.post(fakediscord.MessageOptions{ChannelID: otherChannelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-2.png")}})
	in, err := h.srv.RunMessageCommand(fakediscord.MessageCommandOptions{Name: "Recognize digit", TargetID: target.ID, Actor: fakediscord.Actor{User: bob}})
	if err != nil {
		t.Fatal(err)
	}
	menu := h.final(in)
	check("context menu", menu)
	// From the context menu the poster, not the one who asked, evaluates.
	opened, _ := h.openFix(menu, alice, "en-US")
	if m := h.final(h.submit(opened, "2027", "en-US")); !strings.Contains(embedText(m), "❌ It was 2027") {
		t.Errorf("correcting the context menu's answer:\n%s", embedText(m))
	}
}

func TestNumbers_StatsAndHistory_ShowNumbers(t *testing.T) {
	t.Parallel()
	h := newNumbers(t, defaultHarness(), map[string]digitbot.Prediction{
		"digit-2.png": reading2026,
		"digit-3.png": digitbottest.Number("31", 0.98, 0.91),
		"digit-4.png": digitbottest.Number("404", 0.9, 0.9, 0.9),
		"digit-7.png": digitbottest.Digit(7, 0.96),
	})
	r := h.posted("digit-2.png", alice)
	h.final(h.press(r, buttonID(t, r, "✅ Right"), alice, "en-US"))
	r = h.posted("digit-3.png", alice)
	opened, _ := h.openFix(r, alice, "en-US")
	h.final(h.submit(opened, "37", "en-US"))
	r = h.posted("digit-4.png", alice)
	opened, _ = h.openFix(r, alice, "en-US")
	h.final(h.submit(opened, "4044", "en-US"))
	r = h.posted("digit-7.png", alice)
	h.final(h.press(r, buttonID(t, r, "7"), alice, "en-US"))

	stats := h.final(h.slash(fakediscord.CommandOptions{Name: "stats", Actor: fakediscord.Actor{User: alice, ChannelID: channelID}}))
	text := embedText(stats)
	// Digits: 4 of 2026 + 2 of 31 (one wrong) + the 7; 404 was cut wrongly.
	for _, want := range []string{"7 evaluations", "Numbers: 3 evaluated · 1 read right (33.3%) · 1 cut into the wrong number of digits", "2 digits 0/1", "4 digits 1/2"} {
		if !strings.Contains(text, want) {
			t.Errorf("/stats lacks %q:\n%s", want, text)
		}
	}
	if _, ok := stats.File("stats.png"); !ok {
		t.Errorf("/stats has no chart")
	}
	history := embedText(h.final(h.slash(fakediscord.CommandOptions{Name: "history", Actor: fakediscord.Actor{User: alice, ChannelID: channelID}})))
	for _, want := range []string{"**2026** (", "→ **2026** ✅", "**31** (", "→ **37** ❌", "→ **4044** ❌", "→ **7** ✅"} {
		if !strings.Contains(history, want) {
			t.Errorf("/history lacks %q:\n%s", want, history)
		}
	}
}

func TestNumbers_SlowStore_ModalSubmitIsDeferredThenTheAnswerEdited(t *testing.T) {
	t.Parallel()
	h := newNumbers(t, defaultHarness(), map[string]digitbot.Prediction{"digit-2.png": reading2026})
	r := h.posted("digit-2.png", alice)
	opened, _ := h.openFix(r, alice, "en-US")
	release := h.store.HoldVerdicts()
	defer release()
	in, err := h.srv.SubmitModal(fakediscord.ModalSubmitOptions{Opened: opened, Values: map[string]string{"number": "2028"}})
	if err != nil {
		t.Fatal(err)
	}
	// The store holds the verdict: the bot must still answer within
	// Discord's 3 s, with a deferred update (type 6), then edit.
	resp, err := in.WaitResponse(h.ctx())
	if err != nil {
		t.Fatalf("no response while the store was slow: %v", err)
	}
	if resp.Type != int(discordgo.InteractionResponseDeferredMessageUpdate) {
		t.Fatalf("response type %d, want 6", resp.Type)
	}
	release()
	m := h.final(in)
	if m.ID != r.ID || !strings.Contains(embedText(m), "❌ It was 2028") {
		t.Errorf("answer after the deferred update:\n%s", embedText(m))
	}
	if _, ok := m.File("seen-1.png"); !ok || len(m.ShownTwice) > 0 {
		t.Errorf("after the edit the strip is missing or shown twice: %+v %q", m.Files, m.ShownTwice)
	}
}

func TestNumbers_StatsWithOnlyAMiscutNumber_StillAnswers(t *testing.T) {
	t.Parallel()
	h := newNumbers(t, defaultHarness(), map[string]digitbot.Prediction{"digit-2.png": reading2026})
	r := h.posted("digit-2.png", alice)
	opened, _ := h.openFix(r, alice, "en-US")
	h.final(h.submit(opened, "202", "en-US"))
	text := embedText(h.final(h.slash(fakediscord.CommandOptions{Name: "stats", Actor: fakediscord.Actor{User: alice, ChannelID: channelID}})))
	if !strings.Contains(text, "Numbers: 1 evaluated · 0 read right (0.0%) · 1 cut into the wrong number of digits") {
		t.Errorf("/stats with no digit verdict:\n%s", text)
	}
}

// TestNumbers_RealStore runs the number flow on the bbolt store instead of
// the in-memory double: the store's own owner, first-verdict and
// aggregate rules behind the same answers.
func TestNumbers_RealStore(t *testing.T) {
	t.Parallel()
	cls := digitbottest.NewClassifier()
	cls.Script(testImage(t, "digit-2.png").Data, reading2026)
	cls.Script(testImage(t, "digit-3.png").Data, digitbottest.Number("31", 0.98, 0.91))
	o := realHarness()
	o.classifier = cls
	h := newHarness(t, o)
	post := func(name string) *fakediscord.Message {
		msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, name)}})
		return h.replyTo(msg.ID)
	}
	r := post("digit-2.png")
	if in := h.press(r, buttonID(t, r, "✏️ Correct it"), bob, "en-US"); !strings.Contains(h.final(in).Content, "Only the person who posted") {
		t.Errorf("a stranger was not refused")
	}
	in := h.press(r, buttonID(t, r, "✏️ Correct it"), alice, "en-US")
	if in.Response().Type != int(discordgo.InteractionResponseModal) {
		t.Fatalf("no modal: %+v", in.Attempts())
	}
	sub, err := h.srv.SubmitModal(fakediscord.ModalSubmitOptions{Opened: in, Values: map[string]string{"number": "2028"}})
	if err != nil {
		t.Fatal(err)
	}
	if m := h.final(sub); !strings.Contains(embedText(m), "❌ It was 2028") {
		t.Errorf("answer:\n%s\nlogs:\n%s", embedText(m), h.logs.String())
	}
	r = post("digit-3.png")
	h.final(h.press(r, buttonID(t, r, "✅ Right"), alice, "en-US"))

	evals, err := h.st.History(h.ctx(), digitbot.Scope{UserID: aliceID}, 0)
	if err != nil || len(evals) != 2 {
		t.Fatalf("history %+v %v", evals, err)
	}
	for _, e := range evals {
		if e.Number == nil || (e.Number.Predicted == "2026") != (e.Number.True == "2028") {
			t.Errorf("stored %+v", e)
		}
	}
	stats := embedText(h.final(h.slash(fakediscord.CommandOptions{Name: "stats", Actor: fakediscord.Actor{User: alice, ChannelID: channelID}})))
	if !strings.Contains(stats, "6 evaluations") || !strings.Contains(stats, "Numbers: 2 evaluated · 1 read right") {
		t.Errorf("/stats:\n%s", stats)
	}
	// /export is the store's CSV, number columns included.
	export := h.final(h.slash(fakediscord.CommandOptions{Name: "export", Actor: fakediscord.Actor{User: alice, ChannelID: channelID}}))
	csv, ok := export.File("digitbot-evaluations.csv")
	if !ok {
		t.Fatalf("/export sent no CSV: %q", export.Content)
	}
	if text := string(csv.Data); !strings.Contains(text, "true_number") || !strings.Contains(text, "2028") || !strings.Contains(text, "31") {
		t.Errorf("export:\n%s", text)
	}
}
