package bot_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/digitbot/digitbot/fakediscord"
)

// TestBot_MentionsAndDMsWithoutImage_CountAgainstTheLimit: the "attach an
// image" answer is rate limited like any other, so messages without a
// picture cannot make the bot answer more than the limit allows.
func TestBot_MentionsAndDMsWithoutImage_CountAgainstTheLimit(t *testing.T) {
	t.Parallel()
	counter := &outcomeCounter{}
	o := defaultHarness()
	o.ratePerMinute, o.rateBurst = 1, 1
	o.metrics = counter
	h := newHarness(t, o)
	cases := []fakediscord.MessageOptions{
		{DM: true, Author: alice, Content: "hello"},
		{DM: true, Author: alice, Content: "hello again"},
		{ChannelID: otherChannelID, Author: alice, Content: "what is this?", Mentions: []string{h.srv.AppID()}},
	}
	for _, c := range cases {
		h.post(c)
	}
	// The handlers run concurrently, in any order: one of the three is
	// answered, the other two are refused, and the first refusal says so.
	ctx := h.ctx()
	for counter.count(userLimited) < 2 {
		if ctx.Err() != nil {
			t.Fatalf("%d of 3 messages refused by a limit of 1\nreplies: %s", counter.count(userLimited), botReplies(h))
		}
		runtime.Gosched()
	}
	for _, want := range []string{"Attach an image", "Slow down"} {
		if _, err := h.srv.WaitMessage(ctx, func(m *fakediscord.Message) bool {
			return m.Author != nil && m.Author.ID == h.srv.AppID() && strings.Contains(m.Content, want)
		}); err != nil {
			t.Fatalf("no %q reply: %v\nreplies: %s", want, err, botReplies(h))
		}
	}
	replies := botReplies(h)
	if strings.Count(replies, "Attach an image") != 1 || strings.Count(replies, "Slow down") != 1 {
		t.Errorf("want one answer and one 'slow down', got: %s", replies)
	}
}

// botReplies lists the contents of every message the bot sent.
func botReplies(h *harness) string {
	var out []string
	for _, ch := range []string{channelID, otherChannelID} {
		for _, m := range h.srv.Messages(ch) {
			if m.Author != nil && m.Author.ID == h.srv.AppID() {
				out = append(out, m.Content)
			}
		}
	}
	for _, m := range h.srv.Messages(h.srv.DMChannel(aliceID)) {
		if m.Author != nil && m.Author.ID == h.srv.AppID() {
			out = append(out, m.Content)
		}
	}
	return strings.Join(out, " | ")
}
