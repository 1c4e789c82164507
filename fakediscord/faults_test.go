package fakediscord

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

func TestFaults_RouteRateLimitRetried(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, _ := srv.NewSession(0)
	const retry = 400 * time.Millisecond
	srv.RateLimit("POST /channels/{id}/messages", 1, retry)
	start := time.Now()
	m, err := dg.ChannelMessageSend(DefaultChannelID, "after the limit")
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if elapsed < retry {
		t.Fatalf("discordgo retried after %v, before retry_after %v", elapsed, retry)
	}
	var statuses []int
	for _, r := range srv.Requests() {
		if r.Route == "POST /channels/{channel_id}/messages" {
			statuses = append(statuses, r.Status)
		}
	}
	if len(statuses) != 2 || statuses[0] != 429 || statuses[1] != 200 {
		t.Fatalf("statuses %v, want [429 200]", statuses)
	}
	if msgs := srv.Messages(DefaultChannelID); len(msgs) != 1 || msgs[0].ID != m.ID {
		t.Fatal("the retried message was not stored exactly once")
	}
	// Other routes are not limited.
	srv.RateLimit("POST /channels/{id}/messages", 1, 10*time.Second)
	if _, err := dg.User("@me"); err != nil {
		t.Fatal(err)
	}
	srv.RateLimit("POST /channels/{id}/messages", 0, 0) // clear
	if _, err := dg.ChannelMessageSend(DefaultChannelID, "x"); err != nil {
		t.Fatal(err)
	}
}

func TestFaults_RateLimitErrorWithoutRetry(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, _ := srv.NewSession(0)
	dg.ShouldRetryOnRateLimit = false
	srv.RateLimit("POST /channels/{id}/messages", 1, 1500*time.Millisecond)
	_, err := dg.ChannelMessageSend(DefaultChannelID, "x")
	var rl *discordgo.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != 1500*time.Millisecond {
		t.Fatalf("err = %v, want RateLimitError with retry_after 1.5 s", err)
	}
}

func TestFaults_GlobalRateLimit(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, _ := srv.NewSession(0)
	const retry = 300 * time.Millisecond
	srv.RateLimit("", 1, retry)
	start := time.Now()
	if _, err := dg.User("@me"); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < retry {
		t.Fatalf("global limit: answered after %v", el)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[0].Status != 429 || reqs[0].Route != "GET /users/@me" {
		t.Fatalf("requests %+v", reqs)
	}
}

// A slow callback route plus a fake clock shows the deadline is measured
// from the interaction's creation on the server clock.
func TestFaults_SlowBotMissesDeadline(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(time.Unix(1_800_000_000, 0))
	srv := New(t, Options{Clock: clock})
	dg, _ := srv.NewSession(0)
	registerCommands(t, srv, dg)
	it, _ := srv.RunSlashCommand(CommandOptions{Name: "stats"})
	clock.Advance(2 * time.Second)
	if err := dg.InteractionRespond(it.Payload, &discordgo.InteractionResponse{Type: 5}); err != nil {
		t.Fatalf("in time: %v", err)
	}
	r, err := it.WaitResponse(ctxT(t))
	if err != nil || r.Elapsed != 2*time.Second {
		t.Fatalf("elapsed %v err %v", r.Elapsed, err)
	}
}

// Without ACKs discordgo declares the connection a zombie after 5 intervals
// and reconnects, but it first closes with 1000, which (as on Discord) ends
// the session: its RESUME gets op 9 and it identifies again. Events sent
// between the close and the new READY are lost.
func TestFaults_NoHeartbeatACKsMakesClientReconnect(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{HeartbeatInterval: 100 * time.Millisecond})
	_, rec := openSession(t, srv, discordgo.IntentsAllWithoutPrivileged)
	first := rec.wait(t, "READY", nil).Struct.(*discordgo.Ready).SessionID
	srv.setHeartbeatACKs(false)
	waitServer(t, srv, "a RESUME after heartbeat ACKs stopped", func() bool { return len(srv.Resumes()) > 0 })
	srv.setHeartbeatACKs(true)
	rec.wait(t, "READY", func(e *discordgo.Event) bool { return e.Struct.(*discordgo.Ready).SessionID != first })
	if r := srv.Resumes()[0]; !r.Invalid || r.SessionID != first {
		t.Fatalf("resume %+v, want refused (session ended by the 1000 close)", r)
	}
	if codes := srv.CloseCodes(); len(codes) == 0 || codes[0] != 1000 {
		t.Fatalf("client close codes %v, want 1000 first", codes)
	}
	m, _ := srv.PostMessage(MessageOptions{DM: true, Content: "still here"})
	rec.wait(t, "MESSAGE_CREATE", func(e *discordgo.Event) bool { return e.Struct.(*discordgo.MessageCreate).ID == m.ID })
}

// 429 bodies and headers as in Discord's "Exceeding A Rate Limit" examples.
func TestFaults_RateLimitResponseShape(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	for _, global := range []bool{false, true} {
		route := "GET /users/@me"
		if global {
			route = ""
		}
		srv.RateLimit(route, 1, 1500*time.Millisecond)
		req, _ := http.NewRequest(http.MethodGet, srv.baseURL+"/api/v10/users/@me", nil)
		req.Header.Set("Authorization", "Bot "+srv.Token())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("global=%v: status %d, %v", global, resp.StatusCode, err)
		}
		if len(body) != 3 || body["message"] != "You are being rate limited." || body["retry_after"] != 1.5 || body["global"] != global {
			t.Errorf("global=%v: body %v, want message, retry_after 1.5, global", global, body)
		}
		if resp.Header.Get("Retry-After") != "2" || (resp.Header.Get("X-RateLimit-Bucket") != "") != !global {
			t.Errorf("global=%v: headers %v", global, resp.Header)
		}
		srv.RateLimit(route, 0, 0)
	}
}
