package bot_test

import (
	"bytes"
	"image/png"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/fakediscord"
)

func TestBot_ImageInWatchedChannel_RepliesWithPredictionAndButtons(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-7.png")}})
	r := h.replyTo(msg.ID)

	if len(r.Embeds) != 1 {
		t.Fatalf("reply has %d embeds, want 1: %+v", len(r.Embeds), r.Message)
	}
	e := r.Embeds[0]
	if !strings.HasPrefix(e.Description, "# 7") {
		t.Errorf("the digit is not shown large first: description %q", e.Description)
	}
	if e.Color != 0x2ECC71 {
		t.Errorf("colour = %#x, want green for a confident answer (%s)", e.Color, embedText(r))
	}
	text := embedText(r)
	for _, want := range []string{"Confidence", "%", "Next candidates", "digit-7.png", "Press the digit"} {
		if !strings.Contains(text, want) {
			t.Errorf("reply lacks %q:\n%s", want, text)
		}
	}
	if e.Thumbnail == nil || !strings.Contains(e.Thumbnail.URL, "seen-1.png") {
		t.Errorf("the embed does not show what the bot saw: %+v", e.Thumbnail)
	}
	seen, ok := r.File("seen-1.png")
	if !ok {
		t.Fatalf("reply has no seen-1.png attachment; files: %v", r.Files)
	}
	img, err := png.Decode(bytes.NewReader(seen.Data))
	if err != nil {
		t.Fatalf("seen-1.png: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 224 || b.Dy() != 224 {
		t.Errorf("seen-1.png is %v, want 224x224", b)
	}

	bs := r.Buttons()
	if len(bs) != 10 || len(r.Components) != 2 {
		t.Fatalf("want 10 buttons in 2 rows, got %d buttons in %d rows", len(bs), len(r.Components))
	}
	for d, b := range bs {
		if b.Label != string(rune('0'+d)) {
			t.Errorf("button %d labelled %q", d, b.Label)
		}
		wantStyle := discordgo.SecondaryButton
		if d == 7 {
			wantStyle = discordgo.PrimaryButton
		}
		if b.Style != wantStyle || b.Disabled {
			t.Errorf("button %d: style %d disabled %v, want style %d enabled", d, b.Style, b.Disabled, wantStyle)
		}
	}
	if r.MessageReference == nil || r.MessageReference.MessageID != msg.ID {
		t.Errorf("the answer is not a reply to the image's message")
	}

	// The pending prediction was stored with where it came from.
	predictionID := strings.Split(bs[0].CustomID, ":")[1]
	p, err := h.st.Prediction(h.ctx(), predictionID)
	if err != nil {
		t.Fatalf("pending prediction not stored: %v", err)
	}
	if p.GuildID != guildID || p.ChannelID != channelID || p.MessageID != msg.ID || p.UserID != aliceID || p.FileName != "digit-7.png" || p.AttachmentID == "" {
		t.Errorf("stored prediction lacks its origin: %+v", p)
	}
}

func TestBot_EveryMNISTDigit_IsRecognised(t *testing.T) {
	t.Parallel()
	h := newHarness(t, realHarness())
	for d := 0; d <= 9; d++ {
		name := "digit-" + string(rune('0'+d)) + ".png"
		msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, name)}})
		r := h.replyTo(msg.ID)
		if got := r.Embeds[0].Description; !strings.HasPrefix(got, "# "+string(rune('0'+d))) {
			t.Errorf("%s: answer %q", name, got)
		}
	}
}

func TestBot_UnwatchedChannel_IsIgnored(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	ignored := h.post(fakediscord.MessageOptions{ChannelID: otherChannelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-3.png")}})
	// A later message in a watched channel is answered; by then the first
	// would have been too, had the bot not ignored it.
	later := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-4.png")}})
	h.replyTo(later.ID)
	for _, m := range h.srv.Messages(otherChannelID) {
		if m.Author.ID == h.srv.AppID() {
			t.Fatalf("the bot answered in an unwatched channel: %q (to %s)", embedText(m), ignored.ID)
		}
	}
}

func TestBot_MentionWithImage_InUnwatchedChannel_Replies(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	msg := h.post(fakediscord.MessageOptions{ChannelID: otherChannelID, Author: alice, MentionBot: true, Content: "what is this?", Attachments: []fakediscord.File{testImage(t, "digit-2.png")}})
	r := h.replyTo(msg.ID)
	if !strings.HasPrefix(r.Embeds[0].Description, "# 2") {
		t.Errorf("answer %q", r.Embeds[0].Description)
	}
}

// Members often pick the bot's managed role in Discord's "@" picker: the
// message then mentions <@&role>, not the bot user.
func TestBot_RoleMentionWithImage_InUnwatchedChannel_Replies(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	msg := h.post(fakediscord.MessageOptions{ChannelID: otherChannelID, Author: alice, MentionBotRole: true, Content: "what is this?", Attachments: []fakediscord.File{testImage(t, "digit-2.png")}})
	if len(msg.MentionRoles) != 1 || len(msg.Mentions) != 0 {
		t.Fatalf("the message mentions users %v and roles %v; want only the bot's role", msg.Mentions, msg.MentionRoles)
	}
	r := h.replyTo(msg.ID)
	if !strings.HasPrefix(r.Embeds[0].Description, "# 2") {
		t.Errorf("answer %q", r.Embeds[0].Description)
	}
}

func TestBot_MentionWithoutImage_ExplainsWhatToSend(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	msg := h.post(fakediscord.MessageOptions{ChannelID: otherChannelID, Author: alice, MentionBot: true, Content: "hi"})
	r := h.replyTo(msg.ID)
	if !strings.Contains(r.Content, "Attach an image") {
		t.Errorf("reply %q does not say what to send", r.Content)
	}
}

func TestBot_DirectMessage_IsAnswered(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	msg := h.post(fakediscord.MessageOptions{DM: true, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-7.jpg")}})
	r := h.replyTo(msg.ID)
	if !strings.HasPrefix(r.Embeds[0].Description, "# 7") {
		t.Errorf("answer %q", r.Embeds[0].Description)
	}
	predictionID := strings.Split(r.Buttons()[0].CustomID, ":")[1]
	p, err := h.st.Prediction(h.ctx(), predictionID)
	if err != nil || p.GuildID != "" || p.UserID != aliceID {
		t.Errorf("DM prediction stored as %+v, %v", p, err)
	}
}

func TestBot_OwnAndOtherBotsMessages_AreIgnored(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	other := &discordgo.User{ID: "1300000000000000099", Username: "otherbot", Bot: true}
	h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: other, Attachments: []fakediscord.File{testImage(t, "digit-1.png")}})
	later := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-1.png")}})
	h.replyTo(later.ID)
	replies := 0
	for _, m := range h.srv.Messages(channelID) {
		if m.Author.ID == h.srv.AppID() {
			replies++
		}
	}
	if replies != 1 {
		t.Errorf("the bot sent %d messages, want 1 (only to the human)", replies)
	}
}

func TestBot_SeveralImages_OneAnswerEachUpToTheLimit(t *testing.T) {
	t.Parallel()
	o := defaultHarness()
	o.imagesPerMessage = 2
	h := newHarness(t, o)
	msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{
		testImage(t, "digit-1.png"), testImage(t, "digit-2.png"), testImage(t, "digit-3.png"),
	}})
	rs := h.repliesTo(msg.ID, 2)
	if !strings.HasPrefix(rs[0].Embeds[0].Description, "# 1") || !strings.HasPrefix(rs[1].Embeds[0].Description, "# 2") {
		t.Errorf("answers out of order or wrong: %q, %q", rs[0].Embeds[0].Description, rs[1].Embeds[0].Description)
	}
	if !strings.Contains(rs[1].Content, "first 2 of your 3 images") {
		t.Errorf("the skipped image is not mentioned: %q", rs[1].Content)
	}
	if _, ok := rs[1].File("seen-2.png"); !ok {
		t.Errorf("second answer's picture is not seen-2.png: %+v", rs[1].Files)
	}
}

func TestBot_SpanishServer_DefaultLocale_RepliesInSpanish(t *testing.T) {
	t.Parallel()
	o := defaultHarness()
	o.defaultLocale = "es"
	h := newHarness(t, o)
	msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-5.png")}})
	r := h.replyTo(msg.ID)
	text := embedText(r)
	for _, want := range []string{"Predicción del modelo", "Confianza", "Marca el dígito que habías dibujado", " %"} {
		if !strings.Contains(text, want) {
			t.Errorf("Spanish reply lacks %q:\n%s", want, text)
		}
	}
}

func TestBot_PendingPredictionSaved_BeforeTheReplyIsSent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-0.png")}})
	r := h.replyTo(msg.ID)
	// Press at once: the prediction must already be there.
	in := h.press(r, buttonID(t, r, "0"), alice, "en-US")
	if in.Ephemeral() {
		t.Fatalf("an instant press was refused: %+v", in.Response())
	}
	if n := h.evaluations(digitbot.Scope{UserID: aliceID}); n != 1 {
		t.Errorf("%d evaluations stored, want 1", n)
	}
}
