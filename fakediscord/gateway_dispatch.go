package fakediscord

import (
	"encoding/json"
)

// sendDispatchLocked numbers, logs and sends one dispatch to one session.
func (s *Server) sendDispatchLocked(sess *gwSession, typ string, data any) {
	d, err := json.Marshal(data)
	if err != nil {
		s.log.Error("fakediscord: marshal dispatch", "type", typ, "err", err)
		return
	}
	sess.seq++
	payload, _ := json.Marshal(gwPayload{Op: opDispatch, D: d, S: &sess.seq, T: &typ})
	sess.log = append(sess.log, gwFrame{seq: sess.seq, typ: typ, payload: payload})
	if len(sess.log) > maxSessionLog {
		sess.log = sess.log[len(sess.log)-maxSessionLog:]
	}
	s.recordEventLocked(GatewayEvent{SessionID: sess.id, Op: opDispatch, Seq: sess.seq, Type: typ, Data: d})
	if sess.conn != nil && sess.conn.ready {
		sess.conn.sendLocked(outFrame{payload: payload, compress: sess.compress})
	}
}

func (s *Server) recordEventLocked(e GatewayEvent) {
	s.sentEvents = append(s.sentEvents, e)
	if len(s.sentEvents) > 20000 {
		s.sentEvents = s.sentEvents[len(s.sentEvents)-10000:]
	}
}

// dispatchLocked sends an event to every live session on the right shard;
// build returns the payload for a session (or false to skip it, e.g. for a
// missing intent).
func (s *Server) dispatchLocked(typ, guildID string, build func(sess *gwSession) (any, bool)) {
	if g, ok := s.guilds[guildID]; ok && (g.removed || g.outage) {
		return // the bot gets no events from a guild it left or that is down
	}
	for _, sess := range s.sortedSessionsLocked() {
		if sess.dead || !sess.onShard(guildID) {
			continue
		}
		data, ok := build(sess)
		if !ok {
			continue
		}
		s.sendDispatchLocked(sess, typ, data)
	}
	s.notifyLocked()
}

func (s *Server) sortedSessionsLocked() []*gwSession {
	out := make([]*gwSession, 0, len(s.sessions))
	for _, sess := range s.sessions {
		out = append(out, sess)
	}
	// Deterministic order is not needed by clients; keep it stable anyway.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].id < out[j-1].id; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
