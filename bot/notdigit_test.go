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

// TestBot_NotADigit_QuietInWatchedChannel_AnsweredWhenAsked: a meme posted
// in a watched channel gets no answer, as a person would leave it; the same
// picture with a mention gets "doesn't look like a digit", not "empty".
func TestBot_NotADigit_QuietInWatchedChannel_AnsweredWhenAsked(t *testing.T) {
	t.Parallel()
	h := newNumbers(t, defaultHarness(), nil)
	meme := testImage(t, "digit-5.png")
	h.cls.ScriptError(meme.Data, notADigit)

	quiet := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{meme}})
	h.waitLog("not a digit in a watched channel: no answer")
	for _, m := range h.srv.Messages(channelID) {
		if m.MessageReference != nil && m.MessageReference.MessageID == quiet.ID {
			t.Fatalf("the bot answered a non-digit in a watched channel: %q", m.Content)
		}
	}

	asked := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, MentionBot: true, Attachments: []fakediscord.File{meme}})
	r := h.replyTo(asked.ID)
	if !strings.Contains(r.Content, "doesn't look like a digit") || strings.Contains(r.Content, "empty") {
		t.Errorf("answer to a mentioned non-digit: %q", r.Content)
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

// TestBot_TooManyDigits_QuietInWatchedChannel_ExplainedWhenAsked: a picture
// with more marks than a number (a page of text, stripes) is left alone in
// a watched channel like a non-digit; asked, the bot says what the limit
// is instead of "something went wrong".
func TestBot_TooManyDigits_QuietInWatchedChannel_ExplainedWhenAsked(t *testing.T) {
	t.Parallel()
	h := newNumbers(t, defaultHarness(), nil)
	page := testImage(t, "digit-5.png")
	h.cls.ScriptError(page.Data, digitbot.Errorf(digitbot.ETOOMANYDIGITS, "I found 14 marks that look like digits."))

	quiet := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{page}})
	h.waitLog("not a digit in a watched channel: no answer")
	for _, m := range h.srv.Messages(channelID) {
		if m.MessageReference != nil && m.MessageReference.MessageID == quiet.ID {
			t.Fatalf("the bot answered a picture of too many marks in a watched channel: %q", m.Content)
		}
	}

	asked := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, MentionBot: true, Attachments: []fakediscord.File{page}})
	r := h.replyTo(asked.ID)
	if !strings.Contains(r.Content, "at most 12 digits") || strings.Contains(r.Content, "went wrong") {
		t.Errorf("answer to a mentioned picture of too many marks: %q", r.Content)
	}
}
