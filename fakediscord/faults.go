package fakediscord

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

type rateLimitFault struct {
	remaining  int
	retryAfter time.Duration
	global     bool
}

// RateLimit makes the next n requests on route answer 429 with retry_after.
// route is "METHOD /path" with placeholders in braces, e.g.
// "POST /channels/{id}/messages" (placeholder names do not matter), or ""
// for Discord's global limit (every route; X-RateLimit-Global set).
func (s *Server) RateLimit(route string, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := normRoute(route)
	if n <= 0 {
		delete(s.rateLimits, key)
		return
	}
	s.rateLimits[key] = &rateLimitFault{remaining: n, retryAfter: retryAfter, global: route == ""}
}

// applyRateLimit answers 429 when a rate-limit fault applies to the route.
func (s *Server) applyRateLimit(w http.ResponseWriter, route, pattern string) bool {
	s.mu.Lock()
	f, ok := s.rateLimits[route]
	if !ok || f.remaining <= 0 {
		f, ok = s.rateLimits[""]
	}
	if !ok || f.remaining <= 0 {
		s.mu.Unlock()
		return false
	}
	f.remaining--
	fault := *f
	s.mu.Unlock()
	// Headers and body as in "Exceeding A Rate Limit"
	// (https://discord.com/developers/docs/topics/rate-limits#exceeding-a-rate-limit):
	// a route limit carries the bucket headers, the global limit only
	// Retry-After, X-RateLimit-Global and X-RateLimit-Scope; the body is
	// message, retry_after (seconds, a float) and global, and "code" only
	// for some limits, so none here.
	secs := fault.retryAfter.Seconds()
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(int(math.Ceil(secs))))
	if fault.global {
		h.Set("X-RateLimit-Global", "true")
		h.Set("X-RateLimit-Scope", "global")
	} else {
		h.Set("X-RateLimit-Limit", "5")
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset-After", fmt.Sprintf("%.3f", secs))
		h.Set("X-RateLimit-Reset", fmt.Sprintf("%.3f", float64(time.Now().Add(fault.retryAfter).UnixMilli())/1000))
		h.Set("X-RateLimit-Bucket", fmt.Sprintf("%x", route))
		h.Set("X-RateLimit-Scope", "user")
	}
	body, _ := json.Marshal(map[string]any{"message": "You are being rate limited.", "retry_after": secs, "global": fault.global})
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write(body)
	return true
}

// setHeartbeatACKs turns heartbeat ACKs (op 11) off or back on. Without
// ACKs a client should declare the connection a zombie, reconnect and
// resume (discordgo does after 5 heartbeat intervals).
func (s *Server) setHeartbeatACKs(enabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noACKs = !enabled
}

// DropConnections cuts every gateway connection without a close frame, as a
// network failure would. Sessions stay resumable; events dispatched while a
// client is away are replayed when it resumes.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := make([]*gwConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
}

// SendReconnect sends op 7 RECONNECT on every ready connection; clients are
// expected to reconnect and resume.
func (s *Server) SendReconnect() {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"op": opReconnect, "s": nil, "t": nil, "d": nil})
	for c := range s.conns {
		if c.ready {
			sid := ""
			if c.session != nil {
				sid = c.session.id
			}
			s.recordEventLocked(GatewayEvent{SessionID: sid, Op: opReconnect})
			c.sendLocked(outFrame{payload: b})
		}
	}
	s.notifyLocked()
}

// InvalidateSession sends op 9 INVALID_SESSION (d = resumable) on every
// ready connection. When not resumable the sessions end, so the clients
// must IDENTIFY again.
func (s *Server) InvalidateSession(resumable bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if !c.ready {
			continue
		}
		if !resumable && c.session != nil {
			c.session.dead = true
		}
		s.sendInvalidSessionLocked(c, resumable)
	}
	s.notifyLocked()
}

// Blip simulates a short network stall: heartbeat ACKs are lost until every
// client that was connected gives up on its connection and closes it, then
// the network is back. The close frame reaches the gateway, so a client
// that closes with 1000 or 1001 ends its session as on Discord ("your
// session will be invalidated",
// https://discord.com/developers/docs/events/gateway#initiating-a-disconnect) and its
// RESUME gets op 9; a client that closes with any other code, as the docs
// ask of a client without heartbeat ACKs
// (https://discord.com/developers/docs/events/gateway#heartbeat-interval),
// resumes. Blip returns when those connections are closed, or ctx ends.
func (s *Server) Blip(ctx context.Context) error {
	s.mu.Lock()
	stalled := map[*gwConn]bool{}
	for c := range s.conns {
		if c.ready {
			stalled[c] = true
		}
	}
	s.noACKs = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.noACKs = false
		s.mu.Unlock()
	}()
	return s.waitFor(ctx, func() bool {
		for c := range stalled {
			if _, open := s.conns[c]; open {
				return false
			}
		}
		return true
	})
}
