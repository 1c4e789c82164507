package fakediscord

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Default identities used when Options leaves them empty. They are valid
// snowflakes so that clients parsing ids as integers (discord.js) accept them.
const (
	DefaultToken     = "test-token"
	DefaultAppID     = "1100000000000000001"
	DefaultBotName   = "digitbot"
	DefaultGuildID   = "1200000000000000001"
	DefaultChannelID = "1200000000000000002"
	DefaultOwnerID   = "1300000000000000001"
	DefaultUserID    = "1300000000000000002"
	DefaultUserName  = "alice"
)

// Options configure a Server. The zero value is usable: one guild with one
// text channel, a bot without the Message Content intent, real time.
type Options struct {
	// Token is the bot token the gateway and REST API accept ("Bot " prefix
	// optional on the gateway, required on REST like Discord).
	Token string
	// AppID is the application id, which is also the bot user's id.
	AppID string
	// BotName is the bot user's username.
	BotName string
	// MessageContentAllowed says whether the application has the privileged
	// Message Content intent enabled in the Developer Portal. Asking for it in
	// IDENTIFY while it is not allowed closes the gateway with 4014.
	MessageContentAllowed bool
	// GuildMembersAllowed and PresencesAllowed are the other two privileged
	// intents.
	GuildMembersAllowed bool
	PresencesAllowed    bool
	// BotPermissions are the bot's permissions in every guild channel
	// (default: those of the README's invite link, view, send, send in
	// threads, embed links, attach files, read history, plus use
	// application commands). Without SEND_MESSAGES, channel posts fail with
	// 50013 like on Discord.
	BotPermissions int64
	// Guilds to create; default one guild (DefaultGuildID) named "Test Guild"
	// with the text channel DefaultChannelID named "general", owned by
	// DefaultOwnerID.
	Guilds []GuildOptions
	// HeartbeatInterval sent in HELLO (default 1 s, short for tests).
	HeartbeatInterval time.Duration
	// MaxConcurrency turns on Discord's IDENTIFY rate limit: sessions whose
	// shards share a rate_limit_key (shard_id % MaxConcurrency) may
	// identify once per IdentifyInterval; a faster IDENTIFY gets op 9
	// INVALID_SESSION. GET /gateway/bot reports it as max_concurrency.
	// Zero: no limit (max_concurrency 1 reported).
	MaxConcurrency int
	// IdentifyInterval is the window of the IDENTIFY limit (default 5 s, as
	// on Discord); tests shorten it.
	IdentifyInterval time.Duration
	// MaxMessages bounds the messages the server keeps, with their
	// attachments: beyond it the oldest are forgotten (0: keep all, for
	// tests that look back; a long-running server such as the
	// playground's sets it so its memory stays flat).
	MaxMessages int
	// Sharding: the recommended shard count, the servers a shard may
	// hold (more: close 4011), the session start limit (shards.go).
	Sharding ShardOptions
	// Clock measures interaction deadlines (default real time).
	Clock Clock
	// ResponseDeadline is the window for the first interaction response
	// (default 3 s).
	ResponseDeadline time.Duration
	// TokenLifetime is how long an interaction token works (default 15 min).
	TokenLifetime time.Duration
	// MaxFileSize is the per-file upload limit (default 10 MiB).
	MaxFileSize int64
	// Logger receives the server's own log lines (default: discarded).
	Logger *slog.Logger
}

// GuildOptions describe a guild created at start.
type GuildOptions struct {
	ID       string
	Name     string
	OwnerID  string
	Channels []ChannelOptions
}

// ChannelOptions describe a guild text channel, or a public thread.
type ChannelOptions struct {
	ID   string
	Name string
	// ThreadOf makes the channel a public thread (type 11) of the guild's
	// text channel with that id, listed earlier. Sending in a thread needs
	// SEND_MESSAGES_IN_THREADS, not SEND_MESSAGES
	// (https://discord.com/developers/docs/topics/permissions#inherited-permissions-threads).
	ThreadOf string
}

const (
	permViewChannel        int64 = 1 << 10
	permSendMessages       int64 = 1 << 11
	permEmbedLinks         int64 = 1 << 14
	permAttachFiles        int64 = 1 << 15
	permReadHistory        int64 = 1 << 16
	permSendInThreads      int64 = 1 << 38
	permUseAppCommands     int64 = 1 << 31
	permAdministrator      int64 = 1 << 3
	defaultBotPermissions        = permViewChannel | permSendMessages | permSendInThreads | permEmbedLinks | permAttachFiles | permReadHistory | permUseAppCommands
	defaultMemberPermisson       = permViewChannel | permSendMessages | permEmbedLinks | permAttachFiles | permReadHistory | permUseAppCommands
)

// Server is an in-process Discord: gateway, REST API and CDN on one loopback
// listener. All methods are safe for concurrent use.
type Server struct {
	opts    Options
	clock   Clock
	log     *slog.Logger
	ln      net.Listener
	http    *http.Server
	baseURL string // http://127.0.0.1:port
	wsURL   string // ws://127.0.0.1:port
	// resumeLn serves the gateway at a second address, the
	// resume_gateway_url READY hands out (a host of its own on Discord).
	resumeLn   net.Listener
	resumeHTTP *http.Server
	resumeURL  string
	secret     []byte            // signs CDN URLs
	transport  *rewriteTransport // shared by every HTTPClient
	upgrader   websocket.Upgrader

	mu           sync.Mutex
	token        string        // the valid bot token; RevokeToken replaces it
	changed      chan struct{} // closed and replaced on every state change
	closed       bool
	lastID       uint64
	users        map[string]*wireUser
	guilds       map[string]*guildState
	guildOrder   []string
	channels     map[string]*channelState
	messages     map[string]*storedMessage
	channelMsgs  map[string][]string
	messageOrder []string                  // every message id, oldest first
	files        map[string]*storedFile    // by attachment id
	commands     map[string][]*wireCommand // "" = global
	interactions map[string]*interactionState
	byToken      map[string]*interactionState
	sessions     map[string]*gwSession
	conns        map[*gwConn]struct{}
	identifies   []IdentifyInfo
	resumes      []ResumeInfo
	closeCodes   []int
	heartbeats   int
	lastIdentify map[int]time.Time // by rate_limit_key, when MaxConcurrency > 0
	idStarts     int               // session starts: IDENTIFYs that began a session (shards.go)
	noACKs       bool              // fault: heartbeats are not acknowledged
	sentEvents   []GatewayEvent
	requests     []Request
	rateLimits   map[string]*rateLimitFault
	mediaFault   MediaProxyFault // mediaproxy.go
	cdnStats     CDNStats
	// resizing serialises the media proxy's resizes: each decodes a whole
	// picture, and a playground process should not hold several at once.
	resizing    sync.Mutex
	subscribers map[*subscriber]struct{}
	wg          sync.WaitGroup
}

// NewServer starts a server on 127.0.0.1 with a random port.
func NewServer(opts Options) (*Server, error) {
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.AppID == "" {
		opts.AppID = DefaultAppID
	}
	if opts.BotName == "" {
		opts.BotName = DefaultBotName
	}
	if opts.BotPermissions == 0 {
		opts.BotPermissions = defaultBotPermissions
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = time.Second
	}
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.IdentifyInterval <= 0 {
		opts.IdentifyInterval = 5 * time.Second
	}
	if opts.ResponseDeadline <= 0 {
		opts.ResponseDeadline = 3 * time.Second
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = 15 * time.Minute
	}
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = 10 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if len(opts.Guilds) == 0 {
		opts.Guilds = []GuildOptions{{ID: DefaultGuildID, Name: "Test Guild", OwnerID: DefaultOwnerID,
			Channels: []ChannelOptions{{ID: DefaultChannelID, Name: "general"}}}}
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("fakediscord: secret: %w", err)
	}
	s := &Server{
		opts:         opts,
		token:        opts.Token,
		clock:        opts.Clock,
		log:          opts.Logger,
		secret:       secret,
		changed:      make(chan struct{}),
		users:        map[string]*wireUser{},
		guilds:       map[string]*guildState{},
		channels:     map[string]*channelState{},
		messages:     map[string]*storedMessage{},
		channelMsgs:  map[string][]string{},
		files:        map[string]*storedFile{},
		commands:     map[string][]*wireCommand{},
		interactions: map[string]*interactionState{},
		byToken:      map[string]*interactionState{},
		sessions:     map[string]*gwSession{},
		conns:        map[*gwConn]struct{}{},
		rateLimits:   map[string]*rateLimitFault{},
		subscribers:  map[*subscriber]struct{}{},
	}
	s.upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	s.users[opts.AppID] = &wireUser{ID: opts.AppID, Username: opts.BotName, Discriminator: "0", Bot: true}
	if err := s.createGuilds(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fakediscord: listen: %w", err)
	}
	s.ln = ln
	s.transport = &rewriteTransport{target: ln.Addr().String(), base: &http.Transport{
		Proxy:               nil, // loopback only, whatever the environment says
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}}
	s.baseURL = "http://" + ln.Addr().String()
	s.wsURL = "ws://" + ln.Addr().String()
	s.http = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	rln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("fakediscord: listen: %w", err)
	}
	s.resumeLn = rln
	s.resumeURL = "ws://" + rln.Addr().String()
	s.resumeHTTP = &http.Server{Handler: http.HandlerFunc(s.serveResumeGateway), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	for srv, l := range map[*http.Server]net.Listener{s.http: ln, s.resumeHTTP: rln} {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("fakediscord: serve", "err", err)
			}
		}()
	}
	return s, nil
}

// TB is the part of testing.TB the server needs; *testing.T and *testing.B
// fit. It is declared here so the package does not import "testing" (it also
// ships inside the digitbot binary for the playground).
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// New starts a server for a test and closes it when the test ends.
func New(tb TB, opts Options) *Server {
	tb.Helper()
	s, err := NewServer(opts)
	if err != nil {
		tb.Fatalf("fakediscord.New: %v", err)
		return nil
	}
	tb.Cleanup(s.Close)
	return s
}

// Close shuts the server down: gateway connections are closed abruptly and
// waiting calls return.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	conns := make([]*gwConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	for sub := range s.subscribers {
		sub.close()
	}
	s.subscribers = map[*subscriber]struct{}{}
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.http.Shutdown(ctx)
	_ = s.http.Close()
	_ = s.resumeHTTP.Shutdown(ctx)
	_ = s.resumeHTTP.Close()
	s.transport.base.(*http.Transport).CloseIdleConnections()
	s.wg.Wait()
}

// Token is the bot token the server accepts.
func (s *Server) Token() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

// AppID is the application (and bot user) id.
func (s *Server) AppID() string { return s.opts.AppID }

// discordHosts are the production hosts the rewriting transport sends to the
// loopback server; everything else is refused so tests stay hermetic.
var discordHosts = map[string]bool{
	"discord.com":          true,
	"discordapp.com":       true,
	"cdn.discordapp.com":   true,
	"media.discordapp.net": true,
}

type rewriteTransport struct {
	target string // host:port
	base   http.RoundTripper
}

func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	host := req.URL.Hostname()
	if !discordHosts[host] {
		return nil, fmt.Errorf("fakediscord: refusing request to %s (only Discord hosts are served)", req.URL.Host)
	}
	if req.URL.Scheme != "https" {
		return nil, fmt.Errorf("fakediscord: Discord is only served over https, got %s", req.URL.Scheme)
	}
	r2 := req.Clone(req.Context())
	r2.URL.Scheme = "http"
	r2.URL.Host = t.target
	r2.Host = host // the server routes CDN vs API by Host, like Discord's separate hosts
	return t.base.RoundTrip(r2)
}

// HTTPClient returns a client whose transport sends requests for
// https://discord.com, discordapp.com, cdn.discordapp.com and
// media.discordapp.net to this server and refuses any other host. The bot's
// attachment downloader can use it unchanged on real-looking CDN URLs.
func (s *Server) HTTPClient() *http.Client {
	return &http.Client{Timeout: 20 * time.Second, Transport: s.transport}
}

// Configure points an unmodified discordgo session at this server: its REST
// client goes through HTTPClient, and GET /gateway answers with this server's
// websocket URL. discordgo's package-level Endpoint variables are left alone.
func (s *Server) Configure(dg *discordgo.Session) {
	dg.Client = s.HTTPClient()
	dg.Dialer = &websocket.Dialer{HandshakeTimeout: 10 * time.Second}
}

// NewSession returns a discordgo session configured for this server with the
// server's token ("Bot " prefix), the given intents, and
// ShouldReconnectOnError left true. Close it with CloseSession.
func (s *Server) NewSession(intents discordgo.Intent) (*discordgo.Session, error) {
	dg, err := discordgo.New("Bot " + s.Token())
	if err != nil {
		return nil, err
	}
	dg.Identify.Intents = intents
	s.Configure(dg)
	return dg, nil
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitFor calls check under the server lock until it reports done, the
// context ends or the server closes.
func (s *Server) waitFor(ctx context.Context, check func() bool) error {
	for {
		s.mu.Lock()
		if check() {
			s.mu.Unlock()
			return nil
		}
		if s.closed {
			s.mu.Unlock()
			return errors.New("fakediscord: server closed")
		}
		ch := s.changed
		s.mu.Unlock()
		// Re-check now and then even without a change: some conditions
		// depend on the clock (response deadline), which moves on its own.
		t := time.NewTimer(50 * time.Millisecond)
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		t.Stop()
	}
}

// WaitUntil waits until cond returns true, the context ends or the server
// closes. cond runs without the server's lock, so it may call the
// Server's methods (Identifies, Resumes, Connections, Heartbeats,
// CloseCodes, Messages, Requests…); it is called again after every change
// to the server's state: messages, interactions, gateway connections and
// their payloads, heartbeats, close codes.
func (s *Server) WaitUntil(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ch, closed := s.changed, s.closed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		if closed {
			return errors.New("fakediscord: server closed")
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// discordEpochMS is 2015-01-01T00:00:00Z in Unix milliseconds.
const discordEpochMS = 1420070400000

// newIDLocked returns a fresh snowflake whose timestamp is the server clock.
func (s *Server) newIDLocked() string {
	ms := s.clock.Now().UnixMilli() - discordEpochMS
	if ms < 0 {
		ms = 0
	}
	id := uint64(ms) << 22
	if id <= s.lastID {
		id = s.lastID + 1
	}
	s.lastID = id
	return fmt.Sprint(id)
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// validSnowflake reports whether id looks like a Discord id (decimal
// uint64): other clients (discord.js parses ids as BigInt) reject others.
func validSnowflake(id string) bool {
	if id == "" || len(id) > 20 {
		return false
	}
	_, err := strconv.ParseUint(id, 10, 64)
	return err == nil
}

func checkSnowflake(what, id string) error {
	if !validSnowflake(id) {
		return fmt.Errorf("fakediscord: %s %q is not a snowflake (a decimal uint64 like %s)", what, id, DefaultUserID)
	}
	return nil
}

func stripBot(token string) string {
	return strings.TrimPrefix(strings.TrimSpace(token), "Bot ")
}
