package discordtest

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// READY hands out a resume_gateway_url of its own; a RESUME through it is
// recorded as such, one through the connect URL is accepted but flagged.
func TestGateway_ResumeGatewayURL(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	if srv.ResumeGatewayURL() == srv.GatewayURL() {
		t.Fatalf("resume_gateway_url %s is the connect URL", srv.ResumeGatewayURL())
	}
	_, rec := openSession(t, srv, discordgo.IntentsGuilds)
	var ready struct {
		SessionID string `json:"session_id"`
		ResumeURL string `json:"resume_gateway_url"`
	}
	if err := json.Unmarshal(rec.wait(t, "READY", nil).RawData, &ready); err != nil || ready.ResumeURL != srv.ResumeGatewayURL() {
		t.Fatalf("READY resume_gateway_url %q (%v), want %q", ready.ResumeURL, err, srv.ResumeGatewayURL())
	}
	for _, url := range []string{srv.ResumeGatewayURL(), srv.GatewayURL()} {
		ws, _, err := websocket.DefaultDialer.Dial(url+"/?v=10&encoding=json", nil)
		if err != nil {
			t.Fatal(err)
		}
		var hello map[string]any
		if err := ws.ReadJSON(&hello); err != nil {
			t.Fatal(err)
		}
		if err := ws.WriteJSON(map[string]any{"op": 6, "d": map[string]any{"token": "Bot " + srv.Token(), "session_id": ready.SessionID, "seq": 1}}); err != nil {
			t.Fatal(err)
		}
		for {
			typ, data, err := ws.ReadMessage()
			if err != nil {
				t.Fatalf("resume through %s: %v", url, err)
			}
			if typ == websocket.BinaryMessage { // the session asked for compressed payloads
				zr, err := zlib.NewReader(bytes.NewReader(data))
				if err != nil {
					t.Fatal(err)
				}
				if data, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			var p struct {
				T string `json:"t"`
			}
			if err := json.Unmarshal(data, &p); err != nil {
				t.Fatal(err)
			}
			if p.T == "RESUMED" {
				break
			}
		}
		_ = ws.Close()
	}
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
	srv := New(t, Options{HeartbeatInterval: 50 * time.Millisecond})
	dg, rec := openSession(t, srv, discordgo.IntentsGuilds)
	dg.Lock()
	dg.ShouldReconnectOnError = true
	dg.Unlock()
	if err := srv.Blip(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	first := rec.wait(t, "READY", nil)
	rec.wait(t, "READY", func(e *discordgo.Event) bool { return e != first })
	codes := srv.CloseCodes()
	if len(codes) != 1 || codes[0] != websocket.CloseNormalClosure {
		t.Fatalf("close codes %v, want discordgo's 1000", codes)
	}
	if rs := srv.Resumes(); len(rs) != 1 || !rs[0].Invalid {
		t.Fatalf("resumes %+v: want one, refused with op 9", rs)
	}
	if n := len(srv.Identifies()); n != 2 {
		t.Fatalf("%d IDENTIFYs, want 2 (the session was invalidated)", n)
	}
}
