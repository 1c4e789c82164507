package bot

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Lifetimes within which the bot keeps trying to deliver an answer that
// Discord rate-limits. An interaction's token works for 15 minutes after
// it was created; a message has no deadline, but an answer much later than
// the upload is no longer one, and the work must end some day.
const (
	messageAnswerLifetime     = 10 * time.Minute
	interactionAnswerLifetime = 14 * time.Minute
)

// Backoff between attempts after a 429 that says no retry_after, growing
// when the same call is limited again.
const (
	firstBackoff = 100 * time.Millisecond
	maxBackoff   = 5 * time.Second
)

// retrying runs one REST call until it succeeds, fails for another reason
// than a rate limit, or ctx ends. discordgo's own 429 handling sleeps
// without looking at the context and holds the route's bucket meanwhile;
// here the wait is bounded by ctx and nothing is held while waiting. Only
// 429s are retried: a 429 means Discord did not process the request, so a
// retry cannot duplicate a message, which a retry after a timeout could.
func (b *Bot) retrying(ctx context.Context, call func(opts ...discordgo.RequestOption) error) error {
	backoff := firstBackoff
	for {
		err := call(discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
		var limited *discordgo.RateLimitError
		if !errors.As(err, &limited) || limited.RateLimit == nil || limited.TooManyRequests == nil {
			return err
		}
		// Discord's retry_after is when the request will pass; waiting
		// longer only delays the answer. Without one, back off.
		wait := limited.RetryAfter
		if wait <= 0 {
			wait = backoff
			backoff = min(2*backoff, maxBackoff)
		}
		b.log.Info("rate limited by Discord; retrying", "url_path", pathOf(limited.URL), "retry_in", wait.String())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
}

// pathOf drops the scheme and host of a Discord API URL, and with them
// nothing secret: webhook tokens are in the path, so the path is logged
// only up to the route's first two segments.
func pathOf(url string) string {
	const api = "/api/"
	i := strings.Index(url, api)
	if i < 0 {
		return ""
	}
	url = url[i:]
	slashes := 0
	for i := range len(url) {
		if url[i] == '/' {
			slashes++
			if slashes == 5 { // "/api/v9/webhooks/{id}/…": keep up to the id
				return url[:i] + "/…"
			}
		}
	}
	return url
}

// busyNotices coalesces the "I'm busy" notices of a channel: while one is
// being sent, the uploads refused meanwhile wait for the next one, which
// counts them all. A notice per refused upload would queue behind, and
// compete with, the real answers for the channel's rate limit: in a burst
// they lost the race and none arrived.
type busyNotices struct {
	mu       sync.Mutex
	channels map[string]*busyChannel
}

type busyChannel struct {
	pending []*discordgo.Message // refused uploads not yet covered by a notice
}

func newBusyNotices() *busyNotices {
	return &busyNotices{channels: map[string]*busyChannel{}}
}

// add records a refused upload. It returns true when the caller must send
// the channel's notices (none is being sent); it then calls take until it
// returns nothing.
func (n *busyNotices) add(m *discordgo.Message) (sender bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	c, sending := n.channels[m.ChannelID]
	if !sending {
		c = &busyChannel{}
		n.channels[m.ChannelID] = c
	}
	c.pending = append(c.pending, m)
	return !sending
}

// take returns the channel's refused uploads not yet covered, and forgets
// the channel (so the next refusal starts a sender) when there are none.
func (n *busyNotices) take(channelID string) []*discordgo.Message {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := n.channels[channelID]
	if c == nil || len(c.pending) == 0 {
		delete(n.channels, channelID)
		return nil
	}
	batch := c.pending
	c.pending = nil
	return batch
}

// tellBusy tells the channel that m, and whatever else is refused while
// the notice is on its way, was not read.
func (b *Bot) tellBusy(ctx context.Context, m *discordgo.Message) {
	if !b.busy.add(m) {
		return // the channel's sender will count it
	}
	for {
		batch := b.busy.take(m.ChannelID)
		if len(batch) == 0 {
			return
		}
		last := batch[len(batch)-1]
		l := b.messageLang(last.GuildID)
		text := l.t("err.busy")
		if len(batch) > 1 {
			text = l.t("err.busy_many", len(batch))
		}
		b.replyText(ctx, last, text)
	}
}
