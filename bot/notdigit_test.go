package bot_test

import (
	"strings"
	"testing"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/fakediscord"
)

// notADigit is how the classifier refuses a picture with ink that is not a
// digit (a meme, a face, a word).
var notADigit = digitbot.WrapError(digitbot.ENODIGIT, "This doesn't look like a digit to me.", digitbot.ErrNotADigit)

// TestBot_QuietInWatchedChannel_AnsweredWhenAsked: a meme, or a picture
// with more marks than a number (a page of text, stripes), posted in a
// watched channel gets no answer, as a person would leave it; the same
// picture with a mention gets its own sentence: "doesn't look like a
// digit" (not "empty"), or the 12-digit limit (not "something went wrong").
func TestBot_QuietInWatchedChannel_AnsweredWhenAsked(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		err       error
		want, not string
	}{
		{"not a digit", notADigit, "doesn't look like a digit", "empty"},
		{"too many marks", digitbot.Errorf(digitbot.ETOOMANYDIGITS, "I found 14 marks that look like digits."), "at most 12 digits", "went wrong"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newNumbers(t, defaultHarness(), nil)
			pic := testImage(t, "digit-5.png")
			h.cls.ScriptError(pic.Data, tc.err)

			quiet := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{pic}})
			h.waitLog("not a digit in a watched channel: no answer")
			for _, m := range h.srv.Messages(channelID) {
				if m.MessageReference != nil && m.MessageReference.MessageID == quiet.ID {
					t.Fatalf("the bot answered in a watched channel: %q", m.Content)
				}
			}

			asked := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, MentionBot: true, Attachments: []fakediscord.File{pic}})
			if r := h.replyTo(asked.ID); !strings.Contains(r.Content, tc.want) || strings.Contains(r.Content, tc.not) {
				t.Errorf("answer when mentioned: %q", r.Content)
			}
		})
	}
}

// TestBot_Blank_StillAnsweredInWatchedChannel: a blank picture is a failed
// attempt at a digit, so the poster is told the image looks empty.
func TestBot_Blank_StillAnsweredInWatchedChannel(t *testing.T) {
	t.Parallel()
	h := newNumbers(t, defaultHarness(), nil)
	blank := testImage(t, "digit-5.png")
	h.cls.ScriptError(blank.Data, digitbot.Errorf(digitbot.ENODIGIT, "I couldn't find any ink in this image."))
	msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{blank}})
	if r := h.replyTo(msg.ID); !strings.Contains(r.Content, "looks empty") {
		t.Errorf("answer to a blank picture: %q", r.Content)
	}
}
