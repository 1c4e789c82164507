package fakediscord

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// READY hands out a resume_gateway_url of its own; a RESUME through it is
// recorded as such, one through the connect URL is accepted but flagged.
// The client is a bare websocket, so nothing reconnects behind the test.
func TestGateway_ResumeGatewayURL(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	if srv.resumeURL == srv.wsURL {
		t.Fatalf("resume_gateway_url %s is the connect URL", srv.resumeURL)
	}
	// untilDispatch sends one payload and reads until the dispatch typ.
	untilDispatch := func(url string, send map[string]any, typ string) (*websocket.Conn, json.RawMessage) {
		t.Helper()
		ws, _, err := websocket.DefaultDialer.Dial(url+"/?v=10&encoding=json", nil)
		if err != nil {
			t.Fatal(err)
		}
		var hello map[string]any
		if err := ws.ReadJSON(&hello); err != nil {
			t.Fatal(err)
		}
		if err := ws.WriteJSON(send); err != nil {
			t.Fatal(err)
		}
		for {
			var p struct {
				T string          `json:"t"`
				D json.RawMessage `json:"d"`
			}
			if err := ws.ReadJSON(&p); err != nil {
				t.Fatalf("waiting for %s from %s: %v", typ, url, err)
			}
			if p.T == typ {
				return ws, p.D
			}
		}
	}
	ws, d := untilDispatch(srv.wsURL, map[string]any{"op": 2, "d": map[string]any{"token": "Bot " + srv.Token(), "intents": 1,
		"properties": map[string]string{"os": "linux", "browser": "test", "device": "test"}}}, "READY")
	var ready struct {
		SessionID string `json:"session_id"`
		ResumeURL string `json:"resume_gateway_url"`
	}
	if err := json.Unmarshal(d, &ready); err != nil || ready.ResumeURL != srv.resumeURL {
		t.Fatalf("READY resume_gateway_url %q (%v), want %q", ready.ResumeURL, err, srv.resumeURL)
	}
	for _, url := range []string{srv.resumeURL, srv.wsURL} {
		_ = ws.UnderlyingConn().Close() // a network failure: no close frame, the session stays resumable
		ws, _ = untilDispatch(url, map[string]any{"op": 6, "d": map[string]any{"token": "Bot " + srv.Token(), "session_id": ready.SessionID, "seq": 1}}, "RESUMED")
	}
	_ = ws.UnderlyingConn().Close()
	rs := srv.Resumes()
	if len(rs) != 2 || !rs[0].ResumeURL || rs[1].ResumeURL || rs[0].Invalid || rs[1].Invalid {
		t.Fatalf("resumes %+v: want one through resume_gateway_url, one through the connect URL, both accepted", rs)
	}
}

// discordgo v0.29.0 closes with 1000 when heartbeat ACKs stop; Discord
// then invalidates the session, so its RESUME gets op 9 and it identifies
// again.
func TestGateway_BlipWithCloseCode1000EndsTheSession(t *testing.T) {
	t.Parallel()
	// discordgo gives up after 5 intervals without an ACK. 200 ms keeps the
	// test short; a shorter interval makes a loaded machine miss ACKs after
	// the blip too, and discordgo then reconnects again.
	srv := New(t, Options{HeartbeatInterval: 200 * time.Millisecond})
	// discordgo.New reconnects on errors by default.
	_, rec := openSession(t, srv, discordgo.IntentsGuilds)
	if err := srv.Blip(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	first := rec.wait(t, "READY", nil)
	rec.wait(t, "READY", func(e *discordgo.Event) bool { return e != first })
	// The first of each is the blip's; later ones would be further
	// reconnects on a loaded machine.
	codes := srv.CloseCodes()
	if len(codes) == 0 || codes[0] != websocket.CloseNormalClosure {
		t.Fatalf("close codes %v, want discordgo's 1000 first", codes)
	}
	if rs := srv.Resumes(); len(rs) == 0 || !rs[0].Invalid {
		t.Fatalf("resumes %+v: want the first refused with op 9", rs)
	}
	if n := len(srv.Identifies()); n < 2 {
		t.Fatalf("%d IDENTIFYs, want a second one (the session was invalidated)", n)
	}
}
