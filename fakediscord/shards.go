package fakediscord

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Sharding, as Discord does it (https://discord.com/developers/docs/events/gateway#sharding):
// a session that sends shard [id, count] in IDENTIFY gets the events of
// the servers with (guild_id >> 22) % count == id, and shard 0 also gets
// the events without a server (DMs); the server's onShard applies it.
// This file holds the rest: the limits IDENTIFY enforces on shards, the
// session start limit, GET /gateway/bot, and a fault on one shard.

// Close code 4011: the session would have handled too many guilds
// (https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-close-event-codes).
const CloseShardingRequired = 4011

const (
	// defaultMaxGuildsPerShard is Discord's: "Each shard can only
	// support a maximum of 2500 guilds, and apps that are in 2500+
	// guilds must enable sharding".
	defaultMaxGuildsPerShard = 2500
	// defaultSessionStarts is the daily IDENTIFY budget: "Clients are
	// limited to 1000 IDENTIFY calls to the websocket in a 24-hour
	// period" (…/events/gateway#identifying).
	defaultSessionStarts = 1000
	sessionStartResetMS  = 24 * 60 * 60 * 1000
)

// ShardOptions are the parts of Options about sharding; the zero value is
// Discord's behaviour for a small bot.
type ShardOptions struct {
	// RecommendedShards is GET /gateway/bot's "shards" (default: one per
	// 1,000 servers, at least 1).
	RecommendedShards int
	// MaxGuildsPerShard: an IDENTIFY whose session would hold more
	// servers is closed with 4011 (default 2,500, as on Discord).
	MaxGuildsPerShard int
	// ShardCountMultiple, when set, is the large-bot rule: the shard
	// count must be a multiple of it, else IDENTIFY is closed with 4010
	// ("The number of shards you run must be a multiple of the shard
	// number provided", …/events/gateway#sharding-for-large-bots).
	ShardCountMultiple int
	// SessionStarts is the session start limit per period (default
	// 1,000). Every IDENTIFY that starts a session uses one; with none
	// left Discord resets the token, so an IDENTIFY is closed with 4004.
	SessionStarts int
}

func (o ShardOptions) withDefaults() ShardOptions {
	if o.MaxGuildsPerShard <= 0 {
		o.MaxGuildsPerShard = defaultMaxGuildsPerShard
	}
	if o.SessionStarts <= 0 {
		o.SessionStarts = defaultSessionStarts
	}
	return o
}

// shardRefusalLocked is the close code (and text) with which IDENTIFY
// refuses shard settings, or 0 when they are acceptable. shard is nil for
// an unsharded session, which counts as [0, 1].
func (s *Server) shardRefusalLocked(shard *[2]int) (int, string) {
	o := s.opts.Sharding.withDefaults()
	id, count := 0, 1
	if shard != nil {
		id, count = shard[0], shard[1]
	}
	if count < 1 || id < 0 || id >= count || (o.ShardCountMultiple > 0 && count%o.ShardCountMultiple != 0) {
		return CloseInvalidShard, "Invalid shard."
	}
	sess := gwSession{shard: &[2]int{id, count}}
	n := 0
	for _, gid := range s.guildOrder {
		if !s.guilds[gid].removed && sess.onShard(gid) {
			n++
		}
	}
	if n > o.MaxGuildsPerShard {
		return CloseShardingRequired, "Sharding required."
	}
	if s.idStarts >= o.SessionStarts {
		return CloseAuthenticationFailed, "Authentication failed."
	}
	return 0, ""
}

// recommendedShardsLocked is GET /gateway/bot's "shards".
func (s *Server) recommendedShardsLocked() int {
	if n := s.opts.Sharding.RecommendedShards; n > 0 {
		return n
	}
	guilds := 0
	for _, g := range s.guilds {
		if !g.removed {
			guilds++
		}
	}
	return max(1, (guilds+999)/1000)
}

func (s *Server) getGatewayBot(w http.ResponseWriter, r *http.Request) *APIError {
	s.mu.Lock()
	o := s.opts.Sharding.withDefaults()
	body := map[string]any{"url": s.wsURL, "shards": s.recommendedShardsLocked(),
		"session_start_limit": map[string]int{"total": o.SessionStarts, "remaining": max(o.SessionStarts-s.idStarts, 0),
			"reset_after": sessionStartResetMS, "max_concurrency": max(s.opts.MaxConcurrency, 1)}}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
	return nil
}

// SessionStarts is the number of IDENTIFYs that started a session.
func (s *Server) SessionStarts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.idStarts
}

// SetSessionStartsRemaining makes GET /gateway/bot report n session
// starts left (and IDENTIFY refuse once they are used).
func (s *Server) SetSessionStartsRemaining(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.idStarts = max(s.opts.Sharding.withDefaults().SessionStarts-n, 0)
}

// ShardOf is the shard a server's events go to with count shards:
// (guild_id >> 22) % count.
func ShardOf(guildID string, count int) int {
	id, err := strconv.ParseUint(guildID, 10, 64)
	if err != nil || count < 1 {
		return 0
	}
	return int((id >> 22) % uint64(count))
}

// GuildIDOnShard returns a server id, unique for each n, whose events go
// to shard id of count: tests use it to put servers on chosen shards.
func GuildIDOnShard(id, count, n int) string {
	// Snowflake timestamps (the bits above 22) are milliseconds since
	// 2015; start at a plausible one and step by count.
	base := uint64(1_000_000_000_000) // about 2026 in Discord's epoch, in ms
	ts := base - base%uint64(count) + uint64(id) + uint64(n)*uint64(count)
	return strconv.FormatUint(ts<<22|uint64(n%4096), 10)
}

// DropShard cuts the network connections of the sessions of one shard
// (shard id of any count; 0 also cuts unsharded sessions), as a network
// failure would: the clients resume, the other shards are untouched.
func (s *Server) DropShard(id int) int {
	s.mu.Lock()
	var conns []*gwConn
	for c := range s.conns {
		if sess := c.session; sess != nil && ((sess.shard == nil && id == 0) || (sess.shard != nil && sess.shard[0] == id)) {
			conns = append(conns, c)
		}
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
	return len(conns)
}

// ShardSessions returns, for each shard id with a live session, how many
// it has (unsharded sessions count as shard 0).
func (s *Server) ShardSessions() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int]int{}
	for c := range s.conns {
		if c.ready && !c.closing && c.session != nil {
			id := 0
			if c.session.shard != nil {
				id = c.session.shard[0]
			}
			out[id]++
		}
	}
	return out
}

// DeliveredTo lists the shards whose sessions a message's MESSAGE_CREATE
// was dispatched to (unsharded sessions count as shard 0), once per
// dispatch, replays on RESUME left out: a test checks with it that an
// event reached exactly the shard Discord would send it to.
func (s *Server) DeliveredTo(messageID string) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for _, e := range s.sentEvents {
		if e.Op != opDispatch || e.Type != "MESSAGE_CREATE" || e.Replayed {
			continue
		}
		var m struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(e.Data, &m) != nil || m.ID != messageID {
			continue
		}
		shard := 0
		if sess, ok := s.sessions[e.SessionID]; ok && sess.shard != nil {
			shard = sess.shard[0]
		}
		out = append(out, shard)
	}
	return out
}
