package bot

import (
	"context"
	"net"
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

// gatewayLink holds the bot's handle on the current gateway connection.
type gatewayLink struct {
	mu      sync.Mutex
	current *linkConn
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
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		lc := &linkConn{Conn: c}
		l.mu.Lock()
		l.current = lc
		l.mu.Unlock()
		return lc, nil
	}
	s.Dialer = &d
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
	return c.Conn.Write(p)
}

// watchHeartbeats cuts the gateway connection when heartbeat ACKs stop
// for 2.5 heartbeat intervals (see the top of this file). The interval is
// learnt as the longest gap between two ACKs of one connection: ACKs
// answer heartbeats, which come once an interval (extra ACKs for
// heartbeats the gateway asked for only make gaps shorter). It stops when
// ctx ends.
func (b *Bot) watchHeartbeats(ctx context.Context) {
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
		if c := b.link.conn(); c != watched || c == nil || !b.connected.Load() {
			watched, lastAck, interval, gaps = c, time.Time{}, 0, 0
			poll = 25 * time.Millisecond
			timer.Reset(poll)
			continue
		}
		b.s.RLock()
		ack := b.s.LastHeartbeatAck
		b.s.RUnlock()
		if ack.After(lastAck) {
			if !lastAck.IsZero() {
				interval = max(interval, ack.Sub(lastAck))
				gaps++
			}
			lastAck = ack
		}
		// The first gap runs from HELLO to the first ACK: a round trip,
		// not an interval. Two gaps include a real one.
		if gaps >= 2 {
			poll = min(max(interval/4, 10*time.Millisecond), 5*time.Second)
			if silent := time.Since(lastAck); silent > interval*5/2 && b.link.cut() {
				b.log.Warn("no heartbeat ACK from the gateway; cutting the connection to resume the session",
					"silent_for", silent.Round(time.Millisecond).String(), "heartbeat_interval", interval.Round(time.Millisecond).String())
				watched, lastAck, interval, gaps = nil, time.Time{}, 0, 0
			}
		}
		timer.Reset(poll)
	}
}
