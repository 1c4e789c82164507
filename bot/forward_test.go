package bot_test

import (
	"strings"
	"testing"

	"github.com/digitbot/digitbot/fakediscord"
)

// A forwarded picture arrives in message_snapshots, not in attachments.
func TestBot_ForwardedImage_IsAnswered(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	orig := h.post(fakediscord.MessageOptions{ChannelID: otherChannelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-7.png")}})
	fwd := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: bob, Forward: orig.ID})
	if len(fwd.Attachments) != 0 || len(fwd.MessageSnapshots) != 1 {
		t.Fatalf("the forward carries %d attachments and %d snapshots; want the picture only in the snapshot", len(fwd.Attachments), len(fwd.MessageSnapshots))
	}
	r := h.replyTo(fwd.ID)
	if len(r.Embeds) != 1 || !strings.HasPrefix(r.Embeds[0].Description, "# 7") {
		t.Errorf("answer to the forward: %s", embedText(r))
	}
}
