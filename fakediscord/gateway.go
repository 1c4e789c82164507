package fakediscord

import (
	"encoding/json"
	"time"

	"github.com/bwmarrin/discordgo"
)

// The gateway is split by concern: this file holds the protocol's opcodes
// and close codes and what the server records (IDENTIFYs, RESUMEs, payloads
// sent, close codes); gateway_conn.go one websocket connection (upgrade,
// HELLO, reading ops, the writer and its compression); gateway_session.go
// starting a session (IDENTIFY, READY) and resuming one (RESUME, replay);
// gateway_dispatch.go numbering dispatches and fanning them out to the
// sessions of the right shard.

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
