package bot_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/fakediscord"
)

// countingTransport counts attachment downloads.
type countingTransport struct {
	base http.RoundTripper
	n    *atomic.Int32
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

// TestBot_LongFileName_AnswerFitsTheEmbedLimits: a file name of thousands
// of characters (user text) is clipped, so Discord does not refuse the
// answer's embed (footer over 2048 characters).
func TestBot_LongFileName_AnswerFitsTheEmbedLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	img := testImage(t, "digit-7.png")
	img.Name = strings.Repeat("seven-", 500) + "7.png"
	m := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{img}})
	r := h.replyTo(m.ID)
	if len(r.Embeds) != 1 {
		t.Fatalf("answer: %q, want the prediction", r.Content)
	}
	e := r.Embeds[0]
	if e.Footer == nil || utf8.RuneCountInString(e.Footer.Text) > 2048 || !strings.Contains(e.Footer.Text, "seven-seven") {
		t.Errorf("footer %q: want the start of the file name, within 2048 characters", e.Footer)
	}
}

// TestBot_TIFF_IsRefusedWithoutDownloadingAndTheAdviceNamesWebP: TIFF is
// refused from its metadata, and the advice lists the formats the bot
// reads (WebP included, TIFF not).
func TestBot_TIFF_IsRefusedWithoutDownloadingAndTheAdviceNamesWebP(t *testing.T) {
	t.Parallel()
	var downloads atomic.Int32
	o := defaultHarness()
	o.downloadWrap = func(base http.RoundTripper) http.RoundTripper { return countingTransport{base, &downloads} }
	h := newHarness(t, o)
	for _, f := range []fakediscord.File{
		{Name: "scan.tif", Data: []byte("II*\x00\x08\x00\x00\x00\x00\x00"), ContentType: "image/tiff"},
		{Name: "scan.tiff", Data: []byte("MM\x00*\x00\x00\x00\x08\x00\x00")},
	} {
		m := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{f}})
		r := h.replyTo(m.ID)
		if !strings.Contains(r.Content, "WebP") || strings.Contains(r.Content, "TIFF") {
			t.Errorf("%s: %q, want advice naming WebP and not TIFF", f.Name, r.Content)
		}
	}
	if n := downloads.Load(); n != 0 {
		t.Errorf("%d TIFF files downloaded, want none", n)
	}
}

// TestBot_ButtonOnAnotherAnswer_IsRefused: a message replying to one
// upload but carrying the buttons of another upload's prediction cannot
// evaluate that prediction.
func TestBot_ButtonOnAnotherAnswer_IsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	a := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-7.png")}})
	ra := h.replyTo(a.ID)
	b := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-2.png")}})
	h.replyTo(b.ID)
	// A message as the bot, replying to b, with a's buttons.
	forged, err := h.sess.ChannelMessageSendComplex(channelID, &discordgo.MessageSend{
		Content: "forged", Components: ra.Components, Reference: b.Reference(),
	})
	if err != nil {
		t.Fatal(err)
	}
	fm, ok := h.srv.Message(forged.ID)
	if !ok {
		t.Fatal("the forged message is not on the server")
	}
	res := h.final(h.press(fm, buttonID(t, fm, "7"), alice, "en-US"))
	if !strings.Contains(res.Content, "does not belong") {
		t.Errorf("press on the forged message: %q", res.Content)
	}
	if n := h.evaluations(digitbot.Scope{UserID: aliceID}); n != 0 {
		t.Errorf("%d evaluations stored from a button on another answer", n)
	}
	// The real answer's button still works.
	if res := h.final(h.press(ra, buttonID(t, ra, "7"), alice, "en-US")); len(res.Embeds) == 0 {
		t.Errorf("press on the real answer: %q", res.Content)
	}
	if n := h.evaluations(digitbot.Scope{UserID: aliceID}); n != 1 {
		t.Errorf("%d evaluations after the real press, want 1", n)
	}
}
