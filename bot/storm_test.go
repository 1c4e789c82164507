package bot_test

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitbot/digitbot/fakediscord"
)

// outcomeCounter counts image requests by outcome.
type outcomeCounter struct {
	mu       sync.Mutex
	outcomes map[string]int
}

func (c *outcomeCounter) ObservePrediction(outcome string, _ time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.outcomes == nil {
		c.outcomes = map[string]int{}
	}
	c.outcomes[outcome]++
}
func (c *outcomeCounter) ObserveReply(time.Duration) {}
func (c *outcomeCounter) ObserveEvaluation(string)   {}
func (c *outcomeCounter) SetGatewayConnected(bool)   {}
func (c *outcomeCounter) ObserveRateLimited()        { c.ObservePrediction(userLimited, 0) }
func (c *outcomeCounter) count(outcome string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.outcomes[outcome]
}

// userLimited is the outcome the counter records for a request refused
// by the per-user limit.
const userLimited = "user_rate_limited"

// busyCount reads how many pictures a busy notice covers ("… 12 pictures
// …"); a notice without a number covers one.
var busyCount = regexp.MustCompile(`(\d+) (pictures|images|imágenes)`)

// TestBot_429Storm_EveryAcceptedUploadIsAnsweredOnce: 200 uploads at once
// in one channel while Discord answers 40 of the bot's messages with 429
// (0.1 s each: the sends queue behind them for 4 s, far longer than the
// uploads take to arrive, so the queue fills and stays full). Every upload the bot accepted gets exactly one answer, no
// saved prediction goes unshown, and the uploads refused as "busy" are all
// covered by a few coalesced notices instead of one reply each competing
// with the real answers for the channel's rate limit.
func TestBot_429Storm_EveryAcceptedUploadIsAnsweredOnce(t *testing.T) {
	t.Parallel()
	const uploads = 200
	counter := &outcomeCounter{}
	o := defaultHarness()
	o.metrics = counter
	o.heartbeat = 41250 * time.Millisecond // a busy machine must not miss ACKs mid-test
	h := newHarness(t, o)
	h.srv.RateLimit("POST /channels/{id}/messages", 40, 100*time.Millisecond)
	img := testImage(t, "digit-7.png")

	events, cancel := h.srv.Subscribe()
	defer cancel()
	type reply struct {
		to     string
		embeds int
		text   string
		at     time.Time
	}
	replies := make(chan reply, 4*uploads)
	go func() {
		for ev := range events {
			if ev.Kind == fakediscord.EventMessageCreate && ev.Message != nil && ev.Message.Author != nil &&
				ev.Message.Author.ID == h.srv.AppID() && ev.Message.MessageReference != nil {
				replies <- reply{ev.Message.MessageReference.MessageID, len(ev.Message.Embeds), ev.Message.Content, time.Now()}
			}
		}
	}()

	posted := make(map[string]time.Time, uploads)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for k := range uploads {
		wg.Go(func() {
			at := time.Now()
			m, err := h.srv.PostMessage(fakediscord.MessageOptions{ChannelID: channelID, Author: benchUser(k), Attachments: []fakediscord.File{img}})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			posted[m.ID] = at
			mu.Unlock()
		})
	}
	wg.Wait()

	// Wait until every upload is accounted for: answered, or refused as
	// busy and covered by a notice. The bound only stops a broken bot.
	answers := map[string]int{}
	var latencies []time.Duration
	busyNotices, busyCovered := 0, 0
	deadline := time.After(3 * time.Minute)
	accounted := func() bool {
		busy := counter.count("busy")
		return len(answers)+busy >= uploads && busyCovered >= busy
	}
	for !accounted() {
		select {
		case r := <-replies:
			at, ok := posted[r.to]
			if !ok {
				t.Errorf("a reply to an unknown message %s", r.to)
				continue
			}
			if strings.Contains(r.text, "busy") && r.embeds == 0 {
				busyNotices++
				n := 1
				if m := busyCount.FindStringSubmatch(r.text); m != nil {
					n, _ = strconv.Atoi(m[1])
				}
				busyCovered += n
				continue
			}
			answers[r.to]++
			latencies = append(latencies, r.at.Sub(at))
		case <-deadline:
			t.Fatalf("after 3 minutes: %d uploads answered, %d refused as busy, %d of them covered by %d notices",
				len(answers), counter.count("busy"), busyCovered, busyNotices)
		}
	}
	for id, n := range answers {
		if n != 1 {
			t.Errorf("upload %s answered %d times", id, n)
		}
	}
	// Every saved prediction counted "confident" or "unsure".
	saved := counter.count("confident") + counter.count("unsure")
	slices.Sort(latencies)
	p50 := time.Duration(0)
	if len(latencies) > 0 {
		p50 = latencies[len(latencies)/2]
	}
	busy := counter.count("busy")
	t.Logf("storm: %d uploads, %d answered (%d predictions saved), %d refused as busy, covered by %d notices; answer p50 %v, max %v",
		uploads, len(answers), saved, busy, busyNotices, p50.Round(time.Millisecond), latencies[len(latencies)-1].Round(time.Millisecond))
	if len(answers)+busy != uploads {
		t.Errorf("%d answered + %d busy != %d uploads", len(answers), busy, uploads)
	}
	if saved > len(answers) {
		t.Errorf("%d predictions saved but only %d answers shown", saved, len(answers))
	}
	if busy == 0 {
		t.Errorf("no upload was refused as busy: the storm did not fill the queue, the notices were not tested")
	}
	if busyNotices > 10 {
		t.Errorf("%d busy notices for %d refused uploads: they compete with the answers", busyNotices, busy)
	}
}
