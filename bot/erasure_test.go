package bot_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/fakediscord"
)

// gateTransport holds every download until the test opens the gate, and
// says when one has started.
type gateTransport struct {
	base    http.RoundTripper
	started chan struct{}
	open    chan struct{}
}

func (g gateTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	g.started <- struct{}{}
	select {
	case <-g.open:
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	return g.base.RoundTrip(r)
}

// TestBot_ForgetDuringUpload_NothingOfTheUploadSurvives: /forget confirmed
// while an upload is being downloaded waits for it; the prediction is
// deleted with the rest, so pressing its button stores nothing.
func TestBot_ForgetDuringUpload_NothingOfTheUploadSurvives(t *testing.T) {
	t.Parallel()
	gate := gateTransport{started: make(chan struct{}, 1), open: make(chan struct{})}
	o := defaultHarness()
	o.downloadWrap = func(base http.RoundTripper) http.RoundTripper { gate.base = base; return gate }
	h := newHarness(t, o)

	upload := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-7.png")}})
	<-gate.started // the upload is in flight

	in := h.slash(fakediscord.CommandOptions{Name: "forget", Actor: fakediscord.Actor{User: alice}})
	ask := h.final(in)
	press := h.press(ask, buttonID(t, ask, "Delete my data"), alice, "en-US")
	close(gate.open)
	if done := h.final(press); !strings.Contains(done.Content, "has been deleted") {
		t.Fatalf("after confirm: %q", done.Content)
	}

	reply := h.replyTo(upload.ID)
	t.Logf("the upload's answer: %q", embedText(reply))
	if len(reply.Buttons()) > 0 {
		// The answer came before the deletion; its prediction went with it.
		res := h.final(h.press(reply, buttonID(t, reply, "7"), alice, "en-US"))
		t.Logf("press after /forget: %q", res.Content)
	}
	if n := h.evaluations(digitbot.Scope{UserID: aliceID}); n != 0 {
		t.Errorf("%d evaluations of alice stored after /forget", n)
	}
	if n := h.evaluations(digitbot.Scope{GuildID: guildID}); n != 0 {
		t.Errorf("%d evaluations stored in the server after /forget", n)
	}
}
