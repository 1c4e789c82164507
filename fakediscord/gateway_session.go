package fakediscord

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

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
