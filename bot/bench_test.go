package bot_test

import (
	"bufio"
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot/fakediscord"
)

// replyClock records how long the bot took per image, as the bot sees it:
// from the event's arrival to the reply's REST call returning.
type replyClock struct {
	mu      sync.Mutex
	replies []time.Duration
}

func (r *replyClock) ObservePrediction(string, time.Duration) {}
func (r *replyClock) ObserveEvaluation(string)                {}
func (r *replyClock) SetGatewayConnected(bool)                {}
func (r *replyClock) ObserveRateLimited()                     {}
func (r *replyClock) ObserveReply(d time.Duration) {
	r.mu.Lock()
	r.replies = append(r.replies, d)
	r.mu.Unlock()
}

func (r *replyClock) take() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.replies
	r.replies = nil
	return out
}

// percentile of sorted durations, in milliseconds.
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := min(int(p*float64(len(sorted))), len(sorted)-1)
	return float64(sorted[i].Microseconds()) / 1000
}

// rssMB reads the process's resident set size from /proc/self/status.
func rssMB(tb testing.TB) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return float64(kb) / 1024
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}

// BenchmarkBot_ImageToReply measures, per uploaded image, the time from
// the MESSAGE_CREATE reaching the bot to its reply reaching the test
// server (bot-side p50/p99), and from the upload to the reply being stored
// on the server (end-to-end, e2e-p50/p99), with 1 and 50 uploads at once.
// It also reports the process's RSS idle (after start) and after the load.
//
// "onechannel" posts every upload in one channel, where discordgo (like
// Discord's per-channel rate limit) sends the replies one at a time;
// "dms" spreads them over as many users' DMs, as uploads from many people
// would be.
func BenchmarkBot_ImageToReply(b *testing.B) {
	cases := []struct {
		name       string
		concurrent int
		dms        bool
	}{{"concurrent=1", 1, false}, {"concurrent=50/onechannel", 50, false}, {"concurrent=50/dms", 50, true}}
	for _, bc := range cases {
		concurrent := bc.concurrent
		b.Run(bc.name, func(b *testing.B) {
			clock := &replyClock{}
			o := realHarness()
			o.metrics = clock
			o.queue = 256
			o.workers = benchWorkers(b)
			// Discord's own interval: the tests' 1 s makes a busy machine
			// miss 5 ACKs in a row and reconnect mid-benchmark.
			o.heartbeat = 41250 * time.Millisecond
			h := newHarness(b, o)
			idle := rssMB(b)
			img := testImage(b, "digit-7.png")
			events, cancel := h.srv.Subscribe()
			defer cancel()
			arrived := make(chan string, 1024)
			go func() {
				for ev := range events {
					if ev.Kind == fakediscord.EventMessageCreate && ev.Message != nil && ev.Message.Author != nil &&
						ev.Message.Author.ID == h.srv.AppID() && ev.Message.MessageReference != nil {
						arrived <- ev.Message.MessageReference.MessageID
					}
				}
			}()
			var e2e []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				posted := make(map[string]time.Time, concurrent)
				var mu sync.Mutex
				var wg sync.WaitGroup
				for k := 0; k < concurrent; k++ {
					wg.Go(func() {
						at := time.Now()
						o := fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{img}}
						if bc.dms {
							o = fakediscord.MessageOptions{DM: true, Author: benchUser(k), Attachments: []fakediscord.File{img}}
						}
						m, err := h.srv.PostMessage(o)
						if err != nil {
							b.Error(err)
							return
						}
						mu.Lock()
						posted[m.ID] = at
						mu.Unlock()
					})
				}
				wg.Wait()
				timeout := time.After(30 * time.Second)
				for got := 0; got < concurrent; got++ {
					select {
					case id := <-arrived:
						mu.Lock()
						at, ok := posted[id]
						mu.Unlock()
						if !ok {
							got-- // a late reply to an earlier round
							continue
						}
						e2e = append(e2e, time.Since(at))
					case <-timeout:
						b.Fatalf("only %d of %d replies within 30 s", got, concurrent)
					}
				}
			}
			b.StopTimer()
			botSide := clock.take()
			slices.Sort(botSide)
			slices.Sort(e2e)
			b.ReportMetric(percentile(botSide, 0.50), "p50-ms")
			b.ReportMetric(percentile(botSide, 0.99), "p99-ms")
			b.ReportMetric(percentile(e2e, 0.50), "e2e-p50-ms")
			b.ReportMetric(percentile(e2e, 0.99), "e2e-p99-ms")
			b.ReportMetric(idle, "rss-idle-MB")
			b.ReportMetric(rssMB(b), "rss-load-MB")
			b.ReportMetric(0, "ns/op") // a round is concurrent images: per-image times above say more
		})
	}
}

// BenchmarkBot_StartToReady measures Start: gateway connection, IDENTIFY,
// READY and the bulk registration of the commands.
func BenchmarkBot_StartToReady(b *testing.B) {
	var total time.Duration
	for i := 0; i < b.N; i++ {
		o := realHarness()
		o.noStart = true
		h := newHarness(b, o)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		start := time.Now()
		if err := h.bot.Start(ctx); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		cancel()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms-to-ready")
	b.ReportMetric(0, "ns/op")
}

// benchUser is the k-th of many distinct users.
func benchUser(k int) *discordgo.User {
	return &discordgo.User{ID: strconv.Itoa(1400000000000000000 + k), Username: "user" + strconv.Itoa(k)}
}

// benchWorkers lets a run compare pool sizes: DIGITBOT_BENCH_WORKERS=8.
func benchWorkers(b *testing.B) int {
	n, _ := strconv.Atoi(os.Getenv("DIGITBOT_BENCH_WORKERS"))
	return n
}
