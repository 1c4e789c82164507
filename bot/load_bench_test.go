package bot_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/digitbot/digitbot/fakediscord"
)

// BenchmarkBot_SustainedUploads measures the bot end to end on the fake
// Discord, in one process: a member posts a photo of a digit (a 400x400
// JPEG) in a DM, the gateway delivers it, the bot downloads it from the
// CDN, classifies it and replies. First the sustained rate: uploads kept in
// flight (closed loop) for capacityWindow, uploads/s = replies in that
// window over its length. Then open-loop arrivals at a fixed rate, 50% and
// 90% of that, for loadWindow each: uploads are posted on a fixed
// schedule whether or not earlier ones were answered, and each latency
// runs from the upload's scheduled time to its reply reaching the server
// (so a late upload counts its lateness: no coordinated omission).
//
//	go test -run '^$' -bench Bot_SustainedUploads -benchtime 1x ./bot/
//	GOEXPERIMENT=simd go test -run '^$' -bench Bot_SustainedUploads -benchtime 1x ./bot/
//
// The second is the Makefile's build (SIMD kernels). The bot runs with
// GOMAXPROCS classifier workers (DIGITBOT_BENCH_WORKERS to change) and
// the harness's shared classifier; uploads come from 200 members in
// turn, each in their own DM, as uploads from many people would.
func BenchmarkBot_SustainedUploads(b *testing.B) {
	const (
		users          = 200
		inFlight       = 16
		warmUp         = 30
		capacityWindow = 5 * time.Second
		loadWindow     = 8 * time.Second
	)
	digit, err := png.Decode(bytes.NewReader(testImage(b, "digit-7.png").Data))
	if err != nil {
		b.Fatal(err)
	}
	photo := fakediscord.File{Name: "photo.jpg", ContentType: "image/jpeg",
		Data: photoJPEG(b, 400, 400, image.Rect(60, 40, 340, 360), digit)}
	for b.Loop() {
		o := realHarness() // the embedded model and bbolt: the doubles would refuse the photo
		o.queue = 256
		o.workers = benchWorkers(b)
		o.ratePerMinute, o.rateBurst = 1e6, 1000
		o.maxMessages = 1000
		// Discord's own interval: the tests' 1 s makes a busy machine
		// miss ACKs and reconnect mid-benchmark.
		o.heartbeat = 41250 * time.Millisecond
		h := newHarness(b, o)
		load := newUploadLoad(b, h.srv, photo, users)
		rate := load.capacity(inFlight, warmUp, capacityWindow)
		b.ReportMetric(rate, "uploads/s")
		for _, share := range []float64{0.5, 0.9} {
			lat, achieved := load.openLoop(share*rate, loadWindow)
			slices.Sort(lat)
			name := fmt.Sprintf("@%d%%", int(share*100))
			b.ReportMetric(percentile(lat, 0.50), "p50-ms"+name)
			b.ReportMetric(percentile(lat, 0.99), "p99-ms"+name)
			b.ReportMetric(achieved, "uploads/s"+name)
		}
		load.stop()
		load.mu.Lock()
		if load.notRead > 0 {
			b.Errorf("%d replies were not a reading of the photo (no verdict buttons)", load.notRead)
		}
		load.mu.Unlock()
		b.ReportMetric(0, "ns/op") // one run is the three phases: the figures above say more
	}
}

// uploadLoad posts uploads to the fake server and matches the bot's
// replies to them.
type uploadLoad struct {
	tb    testing.TB
	srv   *fakediscord.Server
	photo fakediscord.File
	users int
	next  int // the next upload's number (its member is next % users)

	mu      sync.Mutex
	replied map[string]time.Time // by upload message ID: when its reply reached the server
	waiting map[string]chan time.Time
	notRead int // replies without the verdict buttons: the photo was not read
	cancel  func()
}

func newUploadLoad(tb testing.TB, srv *fakediscord.Server, photo fakediscord.File, users int) *uploadLoad {
	events, cancel := srv.Subscribe()
	l := &uploadLoad{tb: tb, srv: srv, photo: photo, users: users, replied: map[string]time.Time{},
		waiting: map[string]chan time.Time{}, cancel: cancel}
	go func() {
		for ev := range events {
			if ev.Kind != fakediscord.EventMessageCreate || ev.Message == nil || ev.Message.Author == nil ||
				ev.Message.Author.ID != srv.AppID() || ev.Message.MessageReference == nil {
				continue
			}
			at, id := time.Now(), ev.Message.MessageReference.MessageID
			l.mu.Lock()
			if len(ev.Message.Components) == 0 { // a refusal or an error, not a reading with its buttons
				l.notRead++
			}
			if ch, ok := l.waiting[id]; ok {
				ch <- at
				delete(l.waiting, id)
			} else {
				l.replied[id] = at
			}
			l.mu.Unlock()
		}
	}()
	return l
}

func (l *uploadLoad) stop() { l.cancel() }

// post uploads the photo from the next member and returns a channel that
// receives the time its reply reached the server.
func (l *uploadLoad) post() <-chan time.Time {
	k := l.next
	l.next++
	m, err := l.srv.PostMessage(fakediscord.MessageOptions{DM: true, Author: benchUser(k % l.users),
		Attachments: []fakediscord.File{l.photo}})
	if err != nil {
		l.tb.Fatalf("upload %d: %v", k, err)
	}
	ch := make(chan time.Time, 1)
	l.mu.Lock()
	if at, ok := l.replied[m.ID]; ok { // the reply came before PostMessage returned
		ch <- at
		delete(l.replied, m.ID)
	} else {
		l.waiting[m.ID] = ch
	}
	l.mu.Unlock()
	return ch
}

// capacity keeps inFlight uploads unanswered at all times and returns the
// replies per second over window, after warmUp replies.
func (l *uploadLoad) capacity(inFlight, warmUp int, window time.Duration) float64 {
	done := make(chan time.Time, inFlight)
	launch := func() {
		ch := l.post()
		go func() { done <- waitReply(l.tb, ch) }()
	}
	for range inFlight {
		launch()
	}
	for range warmUp {
		<-done
		launch()
	}
	start := time.Now()
	n := 0
	for {
		at := <-done
		if at.Sub(start) > window {
			break
		}
		n++
		launch()
	}
	elapsed := time.Since(start)
	// Drain the uploads still in flight before the next phase.
	for range inFlight - 1 {
		<-done
	}
	return float64(n) / elapsed.Seconds()
}

// openLoop posts uploads at rate per second for window, each at its
// scheduled time whatever happened to the earlier ones, and returns every
// latency from scheduled time to reply, and the rate actually posted.
func (l *uploadLoad) openLoop(rate float64, window time.Duration) ([]time.Duration, float64) {
	interval := time.Duration(float64(time.Second) / rate)
	n := int(window / interval)
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(at))
		ch := l.post()
		wg.Go(func() { lat[i] = waitReply(l.tb, ch).Sub(at) })
	}
	posted := time.Since(start)
	wg.Wait()
	return lat, float64(n) / posted.Seconds()
}

func waitReply(tb testing.TB, ch <-chan time.Time) time.Time {
	select {
	case at := <-ch:
		return at
	case <-time.After(60 * time.Second):
		tb.Error("no reply within 60 s")
		return time.Now()
	}
}
