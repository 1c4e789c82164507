package fakediscord

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

type outFrame struct {
	payload   []byte
	compress  bool // payload compression (one zlib stream per message)
	closeCode int
	closeText string
}

type gwConn struct {
	srv      *Server
	ws       *websocket.Conn
	out      chan outFrame
	done     chan struct{}
	doneOnce sync.Once
	zstream  bool // transport compression zlib-stream
	// resumeURL: the client dialled resume_gateway_url.
	resumeURL bool
	version   string
	encoding  string
	// guarded by srv.mu
	session    *gwSession
	ready      bool
	compress   bool
	closing    bool
	heartbeats int
}

func (c *gwConn) kill() {
	c.doneOnce.Do(func() { close(c.done) })
	_ = c.ws.UnderlyingConn().Close()
}

// sendLocked queues a frame; a client that cannot keep up is disconnected,
// as Discord does.
func (c *gwConn) sendLocked(f outFrame) {
	if c.closing {
		return
	}
	if f.closeCode != 0 {
		c.closing = true
	}
	select {
	case c.out <- f:
	default:
		c.closing = true
		go c.kill()
	}
}

func (c *gwConn) writer() {
	var zbuf, pbuf bytes.Buffer
	var zw, pw *zlib.Writer
	if c.zstream {
		zw = zlib.NewWriter(&zbuf)
	}
	for {
		var f outFrame
		select {
		case f = <-c.out:
		case <-c.done:
			return
		}
		_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if f.closeCode != 0 {
			_ = c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(f.closeCode, f.closeText))
			// Give the client a moment to read the close frame, then drop the
			// TCP connection as Discord does.
			select {
			case <-c.done:
			case <-time.After(500 * time.Millisecond):
			}
			c.kill()
			return
		}
		var err error
		switch {
		case zw != nil:
			zbuf.Reset()
			if _, err = zw.Write(f.payload); err == nil {
				err = zw.Flush() // sync flush: the message ends with 00 00 ff ff
			}
			if err == nil {
				err = c.ws.WriteMessage(websocket.BinaryMessage, zbuf.Bytes())
			}
		case f.compress:
			// One complete zlib stream per message; the writer is reused
			// (Reset) because creating one costs about a millisecond.
			pbuf.Reset()
			if pw == nil {
				pw = zlib.NewWriter(&pbuf)
			} else {
				pw.Reset(&pbuf)
			}
			_, _ = pw.Write(f.payload)
			_ = pw.Close()
			err = c.ws.WriteMessage(websocket.BinaryMessage, pbuf.Bytes())
		default:
			err = c.ws.WriteMessage(websocket.TextMessage, f.payload)
		}
		if err != nil {
			c.kill()
			return
		}
	}
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	s.serveGatewayOn(w, r, false)
}

// serveResumeGateway serves the resume_gateway_url address: websocket
// upgrades only, as on Discord's resume hosts.
func (s *Server) serveResumeGateway(w http.ResponseWriter, r *http.Request) {
	if !websocket.IsWebSocketUpgrade(r) || (r.URL.Path != "/" && r.URL.Path != "") {
		writeError(w, http.StatusNotFound, 0, "404: Not Found")
		return
	}
	s.serveGatewayOn(w, r, true)
}

func (s *Server) serveGatewayOn(w http.ResponseWriter, r *http.Request, resumeURL bool) {
	q := r.URL.Query()
	enc := q.Get("encoding")
	if enc != "" && enc != "json" {
		writeError(w, http.StatusBadRequest, 0, "fakediscord serves encoding=json only")
		return
	}
	comp := q.Get("compress")
	if comp != "" && comp != "zlib-stream" {
		writeError(w, http.StatusBadRequest, 0, "unsupported compress="+comp)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &gwConn{srv: s, ws: ws, out: make(chan outFrame, 4096), done: make(chan struct{}),
		zstream: comp == "zlib-stream", version: q.Get("v"), encoding: enc, resumeURL: resumeURL}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	go func() { defer s.wg.Done(); c.writer() }()
	if v := c.version; v != "" && v != "9" && v != "10" {
		c.sendLocked(outFrame{closeCode: CloseInvalidAPIVersion, closeText: "Invalid API version."})
		s.mu.Unlock()
		s.readUntilClosed(c)
		return
	}
	hello, _ := json.Marshal(map[string]any{"op": opHello, "s": nil, "t": nil,
		"d": map[string]any{"heartbeat_interval": s.opts.HeartbeatInterval.Milliseconds(), "_trace": []string{"fakediscord"}}})
	s.recordEventLocked(GatewayEvent{Op: opHello})
	c.sendLocked(outFrame{payload: hello})
	s.mu.Unlock()
	s.readUntilClosed(c)
}

type gwPayload struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s"`
	T  *string         `json:"t"`
}

func (s *Server) readUntilClosed(c *gwConn) {
	defer s.dropConn(c)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				s.mu.Lock()
				s.closeCodes = append(s.closeCodes, ce.Code)
				// A clean close (1000/1001) ends the session: it cannot be
				// resumed ("When you close the connection to the gateway with
				// close code 1000 or 1001, your session will be invalidated",
				// https://discord.com/developers/docs/events/gateway#initiating-a-disconnect).
				if (ce.Code == websocket.CloseNormalClosure || ce.Code == websocket.CloseGoingAway) && c.session != nil {
					c.session.dead = true
				}
				s.notifyLocked()
				s.mu.Unlock()
			}
			return
		}
		var p gwPayload
		if err := json.Unmarshal(data, &p); err != nil {
			s.closeConn(c, CloseDecodeError, "Error while decoding payload.")
			continue
		}
		s.handleOp(c, p)
	}
}

func (s *Server) dropConn(c *gwConn) {
	c.kill()
	s.mu.Lock()
	delete(s.conns, c)
	if c.session != nil && c.session.conn == c {
		c.session.conn = nil
	}
	s.notifyLocked()
	s.mu.Unlock()
}

func (s *Server) closeConn(c *gwConn, code int, text string) {
	s.mu.Lock()
	c.sendLocked(outFrame{closeCode: code, closeText: text})
	s.notifyLocked()
	s.mu.Unlock()
}

func (s *Server) handleOp(c *gwConn, p gwPayload) {
	switch p.Op {
	case opHeartbeat:
		s.mu.Lock()
		c.heartbeats++
		s.heartbeats++
		s.notifyLocked()
		if !s.noACKs {
			ack, _ := json.Marshal(map[string]any{"op": opHeartbeatACK, "s": nil, "t": nil, "d": nil})
			c.sendLocked(outFrame{payload: ack})
		}
		s.mu.Unlock()
	case opIdentify:
		s.identify(c, p.D)
	case opResume:
		s.resume(c, p.D)
	case opPresenceUpdate, opVoiceState, opRequestMembers, opSoundboard:
		s.mu.Lock()
		ready := c.ready
		s.mu.Unlock()
		if !ready {
			s.closeConn(c, CloseNotAuthenticated, "Not authenticated.")
		}
	default:
		s.closeConn(c, CloseUnknownOpcode, "Unknown opcode.")
	}
}
