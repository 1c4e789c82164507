package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Why this file exists: Discord invalidates a gateway session that the
// client closes with code 1000 or 1001 ("When you close the connection to
// the gateway with close code 1000 or 1001, your session will be
// invalidated", https://discord.com/developers/docs/events/gateway#initiating-a-disconnect),
// and asks a client that stops getting heartbeat ACKs to "terminate the
// connection with any close code besides 1000 or 1001, then reconnect and
// attempt to Resume" (…/gateway#heartbeat-interval). discordgo v0.29.0
// closes with 1000 in both of its own failure paths: missing ACKs (after
// about six heartbeat intervals) and a failed read. Each network blip then
// costs a fresh IDENTIFY, and IDENTIFYs are capped at 1000 a day (reaching
// the cap resets the bot token).
//
// The bot keeps its sessions without changing discordgo, through two
// exported hooks:
//   - the session's websocket Dialer: the bot dials the gateway's TCP (or
//     proxy) connection itself and keeps a handle on it (gatewayLink);
//   - the session's LastHeartbeatAck: a watchdog (watchHeartbeats) learns
//     the heartbeat interval from the ACKs and, when ACKs stop for 2.5
//     intervals, cuts the TCP connection. discordgo then sees a failed
//     read and closes, but its 1000 close frame cannot be sent on a cut
//     connection, so Discord keeps the session and the reconnect resumes.
// A connection whose read has failed refuses further writes for the same
// reason: discordgo's close frame after a failed read never reaches
// Discord.
//
// Cutting the connection below TLS works for ws:// and wss:// alike, and
// through a proxy (the cut closes the connection to the proxy).

// gatewayLink holds the bot's handle on the current gateway connection,
// and steers reconnects to READY's resume_gateway_url.
//
// Discord asks clients to resume at the resume_gateway_url of READY ("If
// your app doesn't use the resume_gateway_url when reconnecting, it will
// experience disconnects at a higher rate than normal",
// https://discord.com/developers/docs/events/gateway#resuming). discordgo
// v0.29.0 ignores it and keeps dialling the URL it got from GET /gateway,
// which it looks up again only after a failed dial. So, before a
// reconnect, the link refuses to dial anything but the resume host
// (errDialResumeURL), and answers discordgo's next GET /gateway with the
// resume URL; discordgo then dials it with the same version and encoding
// and sends its RESUME there. If the resume host cannot be reached, the
// link stops steering and the next attempt uses Discord's answer.
type gatewayLink struct {
	mu      sync.Mutex
	current *linkConn
	// resumeURL is the last READY's resume_gateway_url; steer is the URL
	// the next connection must use ("" when not steering).
	resumeURL string
	steer     string
}

// errDialResumeURL makes discordgo's Open fail without dialling, so that
// it asks GET /gateway again (and gets the resume URL).
var errDialResumeURL = errors.New("bot: switching the gateway connection to resume_gateway_url")

// setResumeURL remembers READY's resume_gateway_url.
func (l *gatewayLink) setResumeURL(u string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.resumeURL = u
}

// steerToResumeURL makes the next connection go to the resume URL, if
// READY gave one.
func (l *gatewayLink) steerToResumeURL() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.steer = l.resumeURL
}

// stopSteering lets connections go where discordgo dials.
func (l *gatewayLink) stopSteering() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.steer = ""
}

func (l *gatewayLink) steering() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.steer
}

// dialAddr is the host:port a websocket URL is dialled at.
func dialAddr(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if u.Port() != "" {
		return u.Host
	}
	port := "443"
	if u.Scheme == "ws" {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// gatewayLookup answers discordgo's GET /gateway with the resume URL while
// the link steers; every other request goes to Discord unchanged.
type gatewayLookup struct {
	base http.RoundTripper
	link *gatewayLink
}

func (t *gatewayLookup) RoundTrip(req *http.Request) (*http.Response, error) {
	if steer := t.link.steering(); steer != "" && req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/gateway") {
		body, _ := json.Marshal(map[string]string{"url": steer})
		return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body)), Request: req}, nil
	}
	return t.base.RoundTrip(req)
}

// install makes the session dial through the link. The session's dialer is
// copied, not modified: discordgo.New uses websocket.DefaultDialer, which
// is shared by the whole process.
func (l *gatewayLink) install(s *discordgo.Session) {
	d := websocket.Dialer{}
	if s.Dialer != nil {
		d = *s.Dialer
	}
	dial := d.NetDialContext
	if dial == nil && d.NetDial != nil {
		plain := d.NetDial
		dial = func(_ context.Context, network, addr string) (net.Conn, error) { return plain(network, addr) }
	}
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	d.NetDial = nil
	d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		steer := l.steering()
		if steer != "" && addr != dialAddr(steer) {
			return nil, errDialResumeURL
		}
		c, err := dial(ctx, network, addr)
		if err != nil {
			if steer != "" {
				l.stopSteering() // the resume host is unreachable: let Discord say where to go
			}
			return nil, err
		}
		lc := &linkConn{Conn: c}
		l.mu.Lock()
		l.current = lc
		l.mu.Unlock()
		return lc, nil
	}
	s.Dialer = &d
	// The REST client is copied too: it may be shared with other code.
	client := http.Client{}
	if s.Client != nil {
		client = *s.Client
	}
	base := client.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	client.Transport = &gatewayLookup{base: base, link: l}
	s.Client = &client
}

// conn returns the current connection (nil after a cut, until the next
// dial).
func (l *gatewayLink) conn() *linkConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.current
}

// cut closes the current connection without a close frame, as a network
// failure would; it reports whether there was one to cut.
func (l *gatewayLink) cut() bool {
	l.mu.Lock()
	c := l.current
	l.current = nil
	l.mu.Unlock()
	if c == nil {
		return false
	}
	c.broken.Store(true)
	_ = c.Conn.Close()
	return true
}

// linkConn is the gateway's network connection. Once a read has failed or
// the watchdog has cut it, writes fail: nothing, in particular no close
// frame with code 1000, goes out on a connection given up for broken.
type linkConn struct {
	net.Conn
	broken atomic.Bool
	// lastWrite is when the last write went out (Unix nanoseconds), for
	// the heartbeat latency.
	lastWrite atomic.Int64
}

func (c *linkConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		c.broken.Store(true)
	}
	return n, err
}

func (c *linkConn) Write(p []byte) (int, error) {
	if c.broken.Load() {
		return 0, net.ErrClosed
	}
	c.lastWrite.Store(time.Now().UnixNano())
	return c.Conn.Write(p)
}

// watchHeartbeats cuts the gateway connection when heartbeat ACKs stop
// for 2.5 heartbeat intervals (see the top of this file). The interval is
// learnt as the longest gap between two ACKs of one connection: ACKs
// answer heartbeats, which come once an interval (extra ACKs for
// heartbeats the gateway asked for only make gaps shorter). It stops when
// ctx ends.
func (sh *shard) watchHeartbeats(ctx context.Context) {
	var (
		watched  *linkConn // the connection the ACKs below belong to
		lastAck  time.Time
		interval time.Duration
		gaps     int
	)
	poll := 25 * time.Millisecond
	timer := time.NewTimer(poll)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		// Each connection is learnt afresh: discordgo resets the ACK time
		// when it connects, and a gap across a reconnect is no interval.
		if c := sh.link.conn(); c != watched || c == nil || !sh.connected.Load() {
			watched, lastAck, interval, gaps = c, time.Time{}, 0, 0
			poll = 25 * time.Millisecond
			timer.Reset(poll)
			continue
		}
		sh.s.RLock()
		ack := sh.s.LastHeartbeatAck
		sh.s.RUnlock()
		if ack.After(lastAck) {
			if !lastAck.IsZero() {
				interval = max(interval, ack.Sub(lastAck))
				gaps++
			}
			lastAck = ack
			// After READY the bot writes nothing but heartbeats on the
			// gateway, so the last write before an ACK is its heartbeat.
			// (discordgo's LastHeartbeatSent is written under a lock of
			// its own that cannot be taken from outside.)
			if sent := watched.lastWrite.Load(); sent > 0 && sent <= ack.UnixNano() {
				sh.latency.Store(ack.UnixNano() - sent)
			}
		}
		// The first gap runs from HELLO to the first ACK: a round trip,
		// not an interval. Two gaps include a real one.
		if gaps >= 2 {
			poll = min(max(interval/4, 10*time.Millisecond), 5*time.Second)
			if silent := time.Since(lastAck); silent > interval*5/2 && sh.link.cut() {
				sh.log.Warn("no heartbeat ACK from the gateway; cutting the connection to resume the session",
					"silent_for", silent.Round(time.Millisecond).String(), "heartbeat_interval", interval.Round(time.Millisecond).String())
				watched, lastAck, interval, gaps = nil, time.Time{}, 0, 0
			}
		}
		timer.Reset(poll)
	}
}

// onRawReady reads READY's resume_gateway_url, which discordgo v0.29.0's
// Ready does not decode.
func (sh *shard) onRawReady(_ *discordgo.Session, e *discordgo.Event) {
	if e.Type != "READY" {
		return
	}
	var r struct {
		ResumeGatewayURL string `json:"resume_gateway_url"`
	}
	if json.Unmarshal(e.RawData, &r) == nil && r.ResumeGatewayURL != "" {
		sh.link.setResumeURL(r.ResumeGatewayURL)
	}
}
