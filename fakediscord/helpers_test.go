package fakediscord

import (
	"context"
	"encoding/json"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// waitServer waits until cond (which may call srv's methods) holds,
// checking it at each change on the server, for at most ten seconds.
func waitServer(t *testing.T, srv *Server, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.WaitUntil(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// recorder keeps every gateway event a discordgo session handled.
type recorder struct {
	mu      sync.Mutex
	events  []*discordgo.Event
	changed chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

// add keeps a private copy of the event: discordgo's state mutates the
// structs it hands to handlers (GuildAdd merges into them), so reading those
// from the test goroutine would race.
func (r *recorder) add(e *discordgo.Event) {
	cp := &discordgo.Event{Operation: e.Operation, Sequence: e.Sequence, Type: e.Type, RawData: append(json.RawMessage(nil), e.RawData...)}
	if e.Struct != nil {
		v := reflect.New(reflect.TypeOf(e.Struct).Elem()).Interface()
		if err := json.Unmarshal(e.RawData, v); err == nil {
			cp.Struct = v
		}
	}
	e = cp
	r.mu.Lock()
	r.events = append(r.events, e)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

func (r *recorder) all(typ string) []*discordgo.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*discordgo.Event
	for _, e := range r.events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// wait returns the first event of typ for which match is true.
func (r *recorder) wait(t *testing.T, typ string, match func(*discordgo.Event) bool) *discordgo.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		r.mu.Lock()
		for _, e := range r.events {
			if e.Type == typ && (match == nil || match(e)) {
				r.mu.Unlock()
				return e
			}
		}
		ch := r.changed
		r.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("timed out waiting for gateway event %s", typ)
			return nil
		}
	}
}

// openSession connects a raw discordgo session to srv and closes it at the
// end of the test.
func openSession(t *testing.T, srv *Server, intents discordgo.Intent) (*discordgo.Session, *recorder) {
	t.Helper()
	dg, err := srv.NewSession(intents)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	dg.AddHandler(func(_ *discordgo.Session, e *discordgo.Event) { rec.add(e) })
	if err := dg.Open(); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { closeSession(dg) })
	rec.wait(t, "READY", nil)
	return dg, rec
}

func closeSession(dg *discordgo.Session) {
	dg.Lock()
	dg.ShouldReconnectOnError = false
	dg.Unlock()
	_ = dg.Close()
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func restErr(t *testing.T, err error) *discordgo.RESTError {
	t.Helper()
	re, ok := err.(*discordgo.RESTError)
	if !ok {
		t.Fatalf("want *discordgo.RESTError, got %T: %v", err, err)
	}
	if re.Message == nil {
		t.Fatalf("REST error without a JSON message: %s", re.ResponseBody)
	}
	return re
}

// pngBytes is a valid 2x3 PNG.
func pngBytes(t *testing.T) []byte {
	t.Helper()
	return tinyPNG(2, 3)
}
