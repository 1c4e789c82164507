// Package bot is digitbot's Discord front end: it turns messages, slash
// commands, the message context menu and button presses into calls to a
// digitbot.Classifier and a digitbot.Store, and answers in the user's
// language.
//
// The package talks to Discord through discordgo and to everything else
// through the interfaces of the root package, so it knows nothing of onnx-go,
// bbolt or go-chart.
package bot

import (
	"context"
	"errors"
	"fmt"
	"image/png"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
)

// Config is what the bot needs from the host's configuration.
type Config struct {
	// Threshold is the default confidence under which the bot says it is
	// unsure; a server's GuildConfig.Threshold overrides it.
	Threshold float64
	// ImagesPerMessage caps the images answered from one message.
	ImagesPerMessage int
	// MaxImageBytes and MaxImagePixels bound what is downloaded (the
	// classifier enforces them again on the bytes).
	MaxImageBytes  int64
	MaxImagePixels int
	// RateLimitPerMinute and RateLimitBurst bound each user's requests;
	// zero or less disables the limit.
	RateLimitPerMinute float64
	RateLimitBurst     int
	// DefaultLocale is the language of answers to plain messages when the
	// server's preferred locale is unknown ("en", "es", "es-ES", ...).
	DefaultLocale string
	// WatchedChannels are channels watched in every server, on top of each
	// server's own list kept in the store.
	WatchedChannels []string
	// DevGuildID, when set, registers the commands in that server only
	// (they appear at once) instead of globally.
	DevGuildID string
	// MessageContentIntent asks for the privileged Message Content intent;
	// without it, watched channels only see messages that mention the bot.
	MessageContentIntent bool
	// AllowedHosts are the only hosts attachments are downloaded from
	// (https only). Empty means DefaultAllowedHosts().
	AllowedHosts []string
	// DownloadTimeout bounds one attachment download.
	DownloadTimeout time.Duration
	// Workers is how many images are processed at once (0: one per CPU,
	// like the classifier); QueueSize how many more may wait before users
	// are told the bot is busy.
	Workers   int
	QueueSize int
	// ReadyTimeout bounds the wait for the gateway's READY at start.
	ReadyTimeout time.Duration
	// RequestTimeout bounds REST calls that are not answers (deleting a
	// response) and, with Discord's 3 s window, an interaction's first
	// response. Answers are retried through rate limits for as long as
	// they can still be delivered (see messageAnswerLifetime), so an
	// accepted upload is not left unanswered by a burst of 429s.
	RequestTimeout time.Duration
	// KeepMissingGuilds turns off the purge, at READY, of stored servers
	// the bot is no longer in. For a bot connected to a Discord other than
	// the one that wrote the database (the playground's built-in server),
	// where every real server would look removed.
	KeepMissingGuilds bool
	// IdentifyInterval is Discord's IDENTIFY window per rate_limit_key
	// (5 s), plus a margin; shard k of a sharded bot waits
	// k / max_concurrency windows before identifying (pace.go).
	IdentifyInterval time.Duration
}

// DefaultAllowedHosts are the hosts Discord serves attachments from.
func DefaultAllowedHosts() []string { return digitbot.DiscordCDNHosts() }

func (c Config) withDefaults() Config {
	if !digitbot.ValidThreshold(c.Threshold) {
		c.Threshold = digitbot.DefaultThreshold
	}
	if c.ImagesPerMessage <= 0 {
		c.ImagesPerMessage = 4
	}
	if c.MaxImageBytes <= 0 {
		c.MaxImageBytes = digitbot.DefaultMaxImageBytes
	}
	if c.MaxImagePixels <= 0 {
		c.MaxImagePixels = digitbot.DefaultMaxImagePixels
	}
	if c.DefaultLocale == "" {
		c.DefaultLocale = "en"
	}
	if len(c.AllowedHosts) == 0 {
		c.AllowedHosts = DefaultAllowedHosts()
	}
	if c.DownloadTimeout <= 0 {
		c.DownloadTimeout = 15 * time.Second
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0) // as the classifier's pool
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 16 * c.Workers
	}
	if c.ReadyTimeout <= 0 {
		c.ReadyTimeout = 30 * time.Second
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 20 * time.Second
	}
	if c.IdentifyInterval <= 0 {
		c.IdentifyInterval = 5500 * time.Millisecond
	}
	return c
}

// ChartRequest is what a chart needs besides the numbers.
type ChartRequest struct {
	Title     string
	Threshold float64
	Lang      string // "en" or "es"
}

// RenderFunc draws Stats as a PNG (chart.Render in production).
type RenderFunc func(stats digitbot.Stats, req ChartRequest) ([]byte, error)

// Metrics is what the bot reports; *admin.Metrics implements it. Methods
// must be safe on a nil receiver and for concurrent use.
type Metrics interface {
	// ObservePrediction counts an image request by outcome ("confident",
	// "unsure", or an error code) with the time spent classifying.
	ObservePrediction(outcome string, classify time.Duration)
	// ObserveReply records the time from an event's arrival to its answer.
	ObserveReply(d time.Duration)
	// ObserveEvaluation counts button presses by result ("correct",
	// "wrong", or an error code).
	ObserveEvaluation(result string)
	SetGatewayConnected(connected bool)
	ObserveRateLimited()
}

type noMetrics struct{}

func (noMetrics) ObservePrediction(string, time.Duration) {}
func (noMetrics) ObserveReply(time.Duration)              {}
func (noMetrics) ObserveEvaluation(string)                {}
func (noMetrics) SetGatewayConnected(bool)                {}
func (noMetrics) ObserveRateLimited()                     {}

// Options are the dependencies of a Bot.
type Options struct {
	// Session is created with the bot token (discordgo.New("Bot " + token));
	// tests point its Client and gateway at an in-process server.
	Session    *discordgo.Session
	Classifier digitbot.Classifier
	Store      digitbot.Store
	Render     RenderFunc
	Metrics    Metrics // optional
	Logger     *slog.Logger
	// HTTPClient downloads attachments. It must not be the session's
	// client: it never carries the bot token. Nil means a fresh client.
	HTTPClient *http.Client
	Config     Config
	Now        func() time.Time // optional, time.Now
	// Sharding says which shards this bot runs, one gateway session each
	// (shards.go). Nil: one gateway connection on Session, sharded as its
	// ShardID and ShardCount say.
	Sharding *Sharding
}

// identity is who the bot is, learnt from READY.
type identity struct {
	UserID string
	AppID  string
}

// Bot answers Discord events. Create it with New, then Start; Shutdown
// stops it.
type Bot struct {
	s       *discordgo.Session
	cls     digitbot.Classifier
	store   digitbot.Store
	render  RenderFunc
	metrics Metrics
	log     *slog.Logger
	cfg     Config
	now     func() time.Time

	fetch   *fetcher
	limits  *userLimits
	pool    *pool
	busy    *busyNotices
	erase   *erasures
	purges  purges
	seenEnc *png.Encoder

	commands   map[string]func(*call)
	components map[string]func(*call)
	modals     map[string]func(*call) // by the prefix of the modal's custom_id

	// workCtx is the parent of all work; it is cancelled only when a
	// shutdown runs out of time, so draining work can finish.
	workCtx    context.Context
	workCancel context.CancelFunc

	mu        sync.Mutex // guards accepting and inflight.Add
	accepting bool
	inflight  sync.WaitGroup

	// stopReconnect ends every shard's reconnect loop and heartbeat
	// watchdog (shutdown, or a failed start).
	stopReconnect context.CancelFunc
	reconnectCtx  context.Context

	me atomic.Pointer[identity]
	// sharding is what Options asked for; shards are the gateway
	// connections Start made from it (shards.go). shards is written once,
	// by Start, before any event can arrive.
	sharding    *Sharding
	shards      []*shard
	shardsMu    sync.Mutex // guards shards being set, for Ready and Shards
	connectedMu sync.Mutex // orders the all-shards-connected gauge updates

	configMu sync.Mutex // serialises read-modify-write of guild configs

	fatal chan error
}

// New checks the options and builds a Bot; it does not connect.
func New(opts Options) (*Bot, error) {
	switch {
	case opts.Session == nil:
		return nil, errors.New("bot: Options.Session is required")
	case opts.Classifier == nil:
		return nil, errors.New("bot: Options.Classifier is required")
	case opts.Store == nil:
		return nil, errors.New("bot: Options.Store is required")
	case opts.Render == nil:
		return nil, errors.New("bot: Options.Render is required")
	}
	if opts.HTTPClient != nil && opts.HTTPClient == opts.Session.Client {
		return nil, errors.New("bot: Options.HTTPClient must not be the session's client (it would carry the bot token)")
	}
	cfg := opts.Config.withDefaults()
	b := &Bot{
		s:       opts.Session,
		cls:     opts.Classifier,
		store:   opts.Store,
		render:  opts.Render,
		metrics: opts.Metrics,
		log:     opts.Logger,
		cfg:     cfg,
		now:     opts.Now,
		fatal:   make(chan error, 1),
	}
	if opts.Sharding != nil {
		sh := *opts.Sharding
		sh.IDs = append([]int(nil), sh.IDs...)
		b.sharding = &sh
	}
	if b.metrics == nil {
		b.metrics = noMetrics{}
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}
	b.fetch = newFetcher(opts.HTTPClient, cfg.AllowedHosts, cfg.MaxImageBytes, cfg.MaxImagePixels, cfg.DownloadTimeout)
	b.limits = newUserLimits(cfg.RateLimitPerMinute, cfg.RateLimitBurst)
	b.busy = newBusyNotices()
	b.erase = newErasures()
	b.pool = newPool(cfg.Workers, cfg.QueueSize)
	b.seenEnc = newSeenEncoder()
	b.workCtx, b.workCancel = context.WithCancel(context.Background())
	b.reconnectCtx, b.stopReconnect = context.WithCancel(context.Background())
	b.commands = map[string]func(*call){
		cmdPredict:   b.cmdPredict,
		cmdRecognize: b.cmdRecognize,
		cmdStats:     b.cmdStats,
		cmdHistory:   b.cmdHistory,
		cmdExport:    b.cmdExport,
		cmdModel:     b.cmdModel,
		cmdForget:    b.cmdForget,
		cmdHelp:      b.cmdHelp,
		cmdConfig:    b.cmdConfig,
	}
	b.components = map[string]func(*call){
		evalPrefix:     b.onEvalButton,
		forgetPrefix:   b.onForgetButton,
		numRightPrefix: b.onNumberRight,
		numFixPrefix:   b.onNumberFix,
	}
	b.modals = map[string]func(*call){
		numFixPrefix: b.onNumberModal,
	}
	return b, nil
}

// Intents are the gateway intents the bot asks for.
func (b *Bot) Intents() discordgo.Intent {
	in := discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages
	if b.cfg.MessageContentIntent {
		in |= discordgo.IntentMessageContent
	}
	return in
}

// registerCommands bulk-overwrites the commands, globally or in the
// development server. A failure is logged, not fatal: messages, mentions
// and DMs work without commands, and the next start tries again.
func (b *Bot) registerCommands(ctx context.Context) {
	me := b.me.Load()
	if me == nil || me.AppID == "" {
		b.log.Error("cannot register commands: READY carried no application id")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.RequestTimeout)
	defer cancel()
	cmds, err := b.s.ApplicationCommandBulkOverwrite(me.AppID, b.cfg.DevGuildID, commandDefinitions(), discordgo.WithContext(ctx))
	if err != nil {
		b.log.Error("registering application commands failed; slash commands and the context menu may be missing or stale",
			"err", err.Error(), "guild_id", b.cfg.DevGuildID)
		return
	}
	where := "global (may take up to an hour to appear)"
	if b.cfg.DevGuildID != "" {
		where = "guild " + b.cfg.DevGuildID
	}
	b.log.Info("registered application commands", "count", len(cmds), "scope", where)
}

// Fatal delivers an error that stops the bot for good while it runs: the
// gateway refused a reconnect for a reason retrying cannot fix.
func (b *Bot) Fatal() <-chan error { return b.fatal }

// Shutdown stops taking events, waits for work in flight (until ctx ends,
// then cancels it), and closes the gateway. The store and classifier are
// the caller's to close afterwards.
func (b *Bot) Shutdown(ctx context.Context) error {
	b.mu.Lock()
	b.accepting = false
	b.mu.Unlock()

	drained := make(chan struct{})
	go func() {
		b.inflight.Wait()
		close(drained)
	}()
	var err error
	select {
	case <-drained:
	case <-ctx.Done():
		err = fmt.Errorf("bot: shutdown: work still in flight: %w", ctx.Err())
		b.workCancel()
		// Cancelled work returns quickly; give it a moment to do so.
		select {
		case <-drained:
		case <-time.After(500 * time.Millisecond):
		}
	}
	b.workCancel()
	b.stopReconnect()

	closed := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		for _, sh := range b.startedShards() {
			wg.Go(sh.close)
		}
		wg.Wait()
		close(closed)
	}()
	select {
	case <-closed:
	case <-ctx.Done():
		if err == nil {
			err = fmt.Errorf("bot: shutdown: closing the gateway: %w", ctx.Err())
		}
	}
	for _, sh := range b.startedShards() {
		sh.removeHandlers()
	}
	b.metrics.SetGatewayConnected(false)
	return err
}

// begin registers an event's work unless the bot is shutting down.
func (b *Bot) begin() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.accepting {
		return false
	}
	b.inflight.Add(1)
	return true
}

// track runs fn in a goroutine counted by Shutdown, recovering panics so
// one bad event cannot take the bot down.
func (b *Bot) track(what string, fn func()) bool {
	if !b.begin() {
		return false
	}
	go func() {
		defer b.inflight.Done()
		defer func() {
			if r := recover(); r != nil {
				b.log.Error("panic in handler", "handler", what, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			}
		}()
		fn()
	}()
	return true
}

func (b *Bot) userID() string {
	if me := b.me.Load(); me != nil {
		return me.UserID
	}
	return ""
}
