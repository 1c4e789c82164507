package fakediscord

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Gateway opcodes and close codes (https://discord.com/developers/docs/topics/opcodes-and-status-codes).
const (
	opDispatch       = 0
	opHeartbeat      = 1
	opIdentify       = 2
	opPresenceUpdate = 3
	opVoiceState     = 4
	opResume         = 6
	opReconnect      = 7
	opRequestMembers = 8
	opInvalidSession = 9
	opHello          = 10
	opHeartbeatACK   = 11
	opSoundboard     = 31

	CloseUnknownError         = 4000
	CloseUnknownOpcode        = 4001
	CloseDecodeError          = 4002
	CloseNotAuthenticated     = 4003
	CloseAuthenticationFailed = 4004
	CloseAlreadyAuthenticated = 4005
	CloseInvalidSeq           = 4007
	CloseInvalidShard         = 4010
	CloseInvalidAPIVersion    = 4012
	CloseInvalidIntents       = 4013
	CloseDisallowedIntents    = 4014
)

const (
	intentGuildMembers   = int64(discordgo.IntentGuildMembers)
	intentPresences      = int64(discordgo.IntentGuildPresences)
	intentGuildMessages  = int64(discordgo.IntentGuildMessages)
	intentDirectMessages = int64(discordgo.IntentDirectMessages)
	intentMessageContent = int64(discordgo.IntentMessageContent)
	intentAllKnown       = int64(1<<26) - 1
	maxSessionLog        = 5000
)

// IdentifyInfo records one IDENTIFY the gateway received.
type IdentifyInfo struct {
	Token     string // as sent
	TokenOK   bool
	Intents   discordgo.Intent
	Shard     *[2]int
	Compress  bool   // payload compression asked for in IDENTIFY
	Transport string // "zlib-stream" when the URL asked for transport compression
	Encoding  string
	Version   string
	SessionID string // empty when refused
	CloseCode int    // non-zero when the gateway refused the IDENTIFY
	// RateLimited: the IDENTIFY came too soon after another of its
	// rate_limit_key and got op 9 (Options.MaxConcurrency).
	RateLimited bool
	Time        time.Time
}

// ResumeInfo records one RESUME the gateway received.
type ResumeInfo struct {
	SessionID string
	Seq       int64
	TokenOK   bool
	// Replayed is the number of missed dispatches sent again.
	Replayed int
	// Invalid is true when the session could not be resumed (op 9 sent).
	Invalid bool
	// ResumeURL is true when the client dialled the resume_gateway_url of
	// READY. Discord serves a RESUME on the connect URL too, but "if your
	// app doesn't use the resume_gateway_url when reconnecting, it will
	// experience disconnects at a higher rate than normal"
	// (https://discord.com/developers/docs/events/gateway#resuming).
	ResumeURL bool
	CloseCode int
	Time      time.Time
}

// GatewayEvent is one payload the gateway sent (dispatches, and ops 7/9).
type GatewayEvent struct {
	SessionID string
	Op        int
	Seq       int64
	Type      string
	Data      json.RawMessage
	Replayed  bool // sent again on RESUME
}

type gwFrame struct {
	seq     int64
	typ     string
	payload []byte
}

type gwSession struct {
	id       string
	intents  int64
	shard    *[2]int
	compress bool
	seq      int64
	log      []gwFrame
	conn     *gwConn
	dead     bool // closed with 1000/1001 or invalidated: cannot resume
	version  string
}

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

type identifyData struct {
	Token    string          `json:"token"`
	Intents  *int64          `json:"intents"`
	Shard    *[2]int         `json:"shard"`
	Compress bool            `json:"compress"`
	Props    json.RawMessage `json:"properties"`
}

func (s *Server) identify(c *gwConn, raw json.RawMessage) {
	var d identifyData
	if err := json.Unmarshal(raw, &d); err != nil {
		s.closeConn(c, CloseDecodeError, "Error while decoding payload.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notifyLocked()
	info := IdentifyInfo{Token: d.Token, Compress: d.Compress, Shard: d.Shard, Encoding: c.encoding, Version: c.version, Time: s.clock.Now()}
	if c.zstream {
		info.Transport = "zlib-stream"
	}
	if d.Intents != nil {
		info.Intents = discordgo.Intent(*d.Intents)
	}
	refuse := func(code int, text string) {
		info.CloseCode = code
		s.log.Info("fakediscord: gateway IDENTIFY refused", "close_code", code, "reason", text)
		s.identifies = append(s.identifies, info)
		c.sendLocked(outFrame{closeCode: code, closeText: text})
	}
	if c.ready {
		refuse(CloseAlreadyAuthenticated, "Already authenticated.")
		return
	}
	if stripBot(d.Token) != s.token {
		refuse(CloseAuthenticationFailed, "Authentication failed.")
		return
	}
	info.TokenOK = true
	if d.Intents == nil || *d.Intents < 0 || *d.Intents&^intentAllKnown != 0 {
		refuse(CloseInvalidIntents, "Invalid intent(s).")
		return
	}
	intents := *d.Intents
	if (intents&intentMessageContent != 0 && !s.opts.MessageContentAllowed) ||
		(intents&intentGuildMembers != 0 && !s.opts.GuildMembersAllowed) ||
		(intents&intentPresences != 0 && !s.opts.PresencesAllowed) {
		refuse(CloseDisallowedIntents, "Disallowed intent(s).")
		return
	}
	if code, text := s.shardRefusalLocked(d.Shard); code != 0 { // shards.go
		refuse(code, text)
		return
	}
	// "Apps are limited by maximum concurrency ... when identifying. If your
	// app exceeds this limit, Discord will respond with a Invalid Session
	// (opcode 9)"; rate_limit_key = shard_id % max_concurrency, one
	// IDENTIFY per key per 5 s
	// (https://discord.com/developers/docs/events/gateway#identifying and
	// https://discord.com/developers/docs/events/gateway#max-concurrency).
	if mc := s.opts.MaxConcurrency; mc > 0 {
		key := 0
		if d.Shard != nil {
			key = d.Shard[0] % mc
		}
		now := s.clock.Now()
		if last, ok := s.lastIdentify[key]; ok && now.Sub(last) < s.opts.IdentifyInterval {
			info.RateLimited = true
			s.identifies = append(s.identifies, info)
			s.log.Info("fakediscord: gateway IDENTIFY rate limited", "rate_limit_key", key)
			s.sendInvalidSessionLocked(c, false)
			return
		}
		if s.lastIdentify == nil {
			s.lastIdentify = map[int]time.Time{}
		}
		s.lastIdentify[key] = now
	}
	if c.session != nil { // re-IDENTIFY after op 9 replaces the old session
		c.session.dead = true
		if c.session.conn == c {
			c.session.conn = nil
		}
	}
	s.idStarts++
	sess := &gwSession{id: randomToken(16), intents: intents, shard: d.Shard, compress: d.Compress, conn: c, version: c.version}
	s.sessions[sess.id] = sess
	c.session = sess
	c.ready = true
	c.compress = d.Compress
	info.SessionID = sess.id
	s.identifies = append(s.identifies, info)
	s.log.Info("fakediscord: gateway IDENTIFY", "session", sess.id, "intents", intents, "compress", d.Compress, "version", c.version)

	version := 9
	if c.version == "10" {
		version = 10
	}
	guilds := []map[string]any{}
	for _, gid := range s.guildOrder {
		if sess.onShard(gid) && !s.guilds[gid].removed {
			guilds = append(guilds, map[string]any{"id": gid, "unavailable": true})
		}
	}
	bot := s.botUserLocked()
	var appFlags int64
	if s.opts.MessageContentAllowed {
		appFlags |= 1 << 18 // GATEWAY_MESSAGE_CONTENT
	}
	if s.opts.GuildMembersAllowed {
		appFlags |= 1 << 14
	}
	if s.opts.PresencesAllowed {
		appFlags |= 1 << 12
	}
	ready := map[string]any{
		"v": version, "session_id": sess.id, "session_type": "normal",
		"resume_gateway_url": s.resumeURL,
		"user": map[string]any{"id": bot.ID, "username": bot.Username, "discriminator": "0", "global_name": nil,
			"avatar": nil, "bot": true, "verified": true, "mfa_enabled": false, "flags": 0, "email": nil},
		"application": map[string]any{"id": s.opts.AppID, "flags": appFlags},
		"guilds":      guilds, "private_channels": []any{}, "relationships": []any{}, "presences": []any{},
		"user_settings": map[string]any{}, "geo_ordered_rtc_regions": []string{}, "guild_join_requests": []any{},
		"_trace": []string{"fakediscord"},
	}
	if d.Shard != nil {
		ready["shard"] = d.Shard
	}
	s.sendDispatchLocked(sess, "READY", ready)
	for _, gid := range s.guildOrder {
		if g := s.guilds[gid]; sess.onShard(gid) && !g.removed && !g.outage {
			s.sendDispatchLocked(sess, "GUILD_CREATE", s.guildCreateLocked(s.guilds[gid]))
		}
	}
}

// onShard reports whether a guild's events go to this session
// (shard_id = (guild_id >> 22) % num_shards; DMs go to shard 0).
func (sess *gwSession) onShard(guildID string) bool {
	if sess.shard == nil || sess.shard[1] <= 1 {
		return true
	}
	if guildID == "" {
		return sess.shard[0] == 0
	}
	id, err := strconv.ParseUint(guildID, 10, 64)
	if err != nil {
		return sess.shard[0] == 0
	}
	return int((id>>22)%uint64(sess.shard[1])) == sess.shard[0]
}

type resumeData struct {
	Token     string `json:"token"`
	SessionID string `json:"session_id"`
	Seq       int64  `json:"seq"`
}

func (s *Server) resume(c *gwConn, raw json.RawMessage) {
	var d resumeData
	if err := json.Unmarshal(raw, &d); err != nil {
		s.closeConn(c, CloseDecodeError, "Error while decoding payload.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notifyLocked()
	info := ResumeInfo{SessionID: d.SessionID, Seq: d.Seq, Time: s.clock.Now(), ResumeURL: c.resumeURL}
	defer func() {
		s.resumes = append(s.resumes, info)
		s.log.Info("fakediscord: gateway RESUME", "session", info.SessionID, "seq", info.Seq, "replayed", info.Replayed, "invalid", info.Invalid, "close_code", info.CloseCode)
	}()
	refuse := func(code int, text string) {
		info.CloseCode = code
		c.sendLocked(outFrame{closeCode: code, closeText: text})
	}
	if c.ready {
		refuse(CloseAlreadyAuthenticated, "Already authenticated.")
		return
	}
	if stripBot(d.Token) != s.token {
		refuse(CloseAuthenticationFailed, "Authentication failed.")
		return
	}
	info.TokenOK = true
	sess, ok := s.sessions[d.SessionID]
	if !ok || sess.dead {
		info.Invalid = true
		s.sendInvalidSessionLocked(c, false)
		return
	}
	if d.Seq > sess.seq || (len(sess.log) > 0 && d.Seq < sess.log[0].seq-1) {
		refuse(CloseInvalidSeq, "Invalid seq.")
		return
	}
	if old := sess.conn; old != nil && old != c {
		old.session = nil
		go old.kill() // the zombie connection is replaced
	}
	sess.conn = c
	c.session = sess
	c.ready = true
	c.compress = sess.compress
	for _, f := range sess.log {
		if f.seq > d.Seq {
			info.Replayed++
			c.sendLocked(outFrame{payload: f.payload, compress: sess.compress})
			s.recordEventLocked(GatewayEvent{SessionID: sess.id, Op: opDispatch, Seq: f.seq, Type: f.typ, Data: dataOf(f.payload), Replayed: true})
		}
	}
	s.sendDispatchLocked(sess, "RESUMED", map[string]any{"_trace": []string{"fakediscord"}})
}

func dataOf(payload []byte) json.RawMessage {
	var p gwPayload
	_ = json.Unmarshal(payload, &p)
	return p.D
}

func (s *Server) sendInvalidSessionLocked(c *gwConn, resumable bool) {
	b, _ := json.Marshal(map[string]any{"op": opInvalidSession, "s": nil, "t": nil, "d": resumable})
	sid := ""
	if c.session != nil {
		sid = c.session.id
	}
	s.recordEventLocked(GatewayEvent{SessionID: sid, Op: opInvalidSession, Data: json.RawMessage(strconv.FormatBool(resumable))})
	c.ready = false
	c.sendLocked(outFrame{payload: b})
}

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

// Identifies returns every IDENTIFY received, in order.
func (s *Server) Identifies() []IdentifyInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]IdentifyInfo(nil), s.identifies...)
}

// Resumes returns every RESUME received, in order.
func (s *Server) Resumes() []ResumeInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ResumeInfo(nil), s.resumes...)
}

// Identify returns the last successful IDENTIFY (ok=false if none).
func (s *Server) Identify() (IdentifyInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.identifies) - 1; i >= 0; i-- {
		if s.identifies[i].CloseCode == 0 && !s.identifies[i].RateLimited {
			return s.identifies[i], true
		}
	}
	return IdentifyInfo{}, false
}

// Connections is the number of open gateway connections that completed
// IDENTIFY or RESUME.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := range s.conns {
		if c.ready && !c.closing {
			n++
		}
	}
	return n
}

// Heartbeats is the number of heartbeats (op 1) received on all connections.
func (s *Server) Heartbeats() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.heartbeats
}

// gatewayEvents returns the payloads the gateway sent (dispatches, HELLO,
// RECONNECT, INVALID_SESSION), oldest first.
func (s *Server) gatewayEvents() []GatewayEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]GatewayEvent(nil), s.sentEvents...)
}

// CloseCodes returns the close codes clients sent when closing, in order.
func (s *Server) CloseCodes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.closeCodes...)
}
