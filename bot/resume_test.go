package bot_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/digitbot/digitbot/fakediscord"
)

// TestBot_NetworkBlips_ResumeWithoutIdentifying stalls the network between
// the bot and the gateway again and again (heartbeat ACKs lost until the
// bot gives up on the connection). Discord invalidates a session closed
// with 1000 or 1001, so a bot that closes that way identifies afresh after
// every blip, and IDENTIFYs are capped at 1000 a day. The bot must resume
// every time. DIGITBOT_BLIPS sets the number of blips (default 3); the
// figure for 100 is in the README:
//
//	DIGITBOT_BLIPS=100 go test -race -run NetworkBlips -v ./bot/
func TestBot_NetworkBlips_ResumeWithoutIdentifying(t *testing.T) {
	// Not parallel: with 200 ms heartbeats, other tests loading the
	// machine would make blips of their own.
	blips := 3
	if v := os.Getenv("DIGITBOT_BLIPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("DIGITBOT_BLIPS=%q: want a positive number", v)
		}
		blips = n
	}
	o := defaultHarness()
	// Short heartbeats make a blip quick to detect; the bot learns the
	// interval from the gateway, as it must with Discord's 41.25 s.
	o.heartbeat = 200 * time.Millisecond
	h := newHarness(t, o)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(blips)*20*time.Second)
	defer cancel()
	for i := range blips {
		// A blip hits an established connection: a few heartbeats first.
		hb := h.srv.Heartbeats()
		if err := h.srv.WaitUntil(ctx, func() bool { return h.srv.Heartbeats() >= hb+4 }); err != nil {
			t.Fatalf("blip %d: no heartbeats: %v", i+1, err)
		}
		before := len(h.srv.Resumes()) + len(h.srv.Identifies())
		if err := h.srv.Blip(ctx); err != nil {
			t.Fatalf("blip %d: %v", i+1, err)
		}
		// Back when the gateway has seen the next RESUME or IDENTIFY and
		// the bot has a working connection again.
		err := h.srv.WaitUntil(ctx, func() bool {
			return len(h.srv.Resumes())+len(h.srv.Identifies()) > before && h.srv.Connections() == 1
		})
		if err != nil {
			t.Fatalf("blip %d: the bot did not reconnect: %v\nlogs:\n%s", i+1, err, h.logs.String())
		}
		h.waitReady()
	}
	identifies := len(h.srv.Identifies()) - 1 // the first one is the start
	resumes := h.srv.Resumes()
	ok, onResumeURL := 0, 0
	for _, r := range resumes {
		if !r.Invalid && r.CloseCode == 0 {
			ok++
		}
		if r.ResumeURL {
			onResumeURL++
		}
	}
	t.Logf("%d blips: %d fresh IDENTIFYs (%.0f per 100 blips), %d RESUMEs (%d accepted, %d on resume_gateway_url), close codes sent %v",
		blips, identifies, 100*float64(identifies)/float64(blips), len(resumes), ok, onResumeURL, h.srv.CloseCodes())
	if identifies != 0 {
		t.Errorf("%d fresh IDENTIFYs after %d blips: every blip should resume the session", identifies, blips)
	}
	if onResumeURL != len(resumes) {
		t.Errorf("%d of %d RESUMEs went to resume_gateway_url; Discord asks for all of them there", onResumeURL, len(resumes))
	}
	// Still answering, on the same session.
	msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-6.png")}})
	if r := h.replyTo(msg.ID); !strings.HasPrefix(r.Embeds[0].Description, "# 6") {
		t.Errorf("answer after the blips: %s", embedText(r))
	}
}
