package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
)

// Sharding says which of a bot's shards one Bot runs. Discord sends each
// server's events to one shard, (guild_id >> 22) % shard count, and DMs to
// shard 0 (https://discord.com/developers/docs/events/gateway#sharding);
// a Bot runs one gateway session per shard it is given, all sharing its
// store, classifier, worker pool, rate limits and REST client.
type Sharding struct {
	// Count is the bot's total number of shards; 0 asks Discord for its
	// recommendation (GET /gateway/bot's "shards").
	Count int
	// IDs are the shards this Bot runs, each from 0 to Count-1; empty
	// means all of them. A fleet of processes splits them (e.g. 0-15 and
	// 16-31 of 32).
	IDs []int
}

// Shard states, as /healthz and /metrics report them.
const (
	ShardWaiting      = "waiting"      // for its turn to identify
	ShardConnecting   = "connecting"   // first connection, until READY
	ShardConnected    = "connected"    // READY or RESUMED received
	ShardReconnecting = "reconnecting" // connection lost; reconnecting
	ShardStopped      = "stopped"      // shut down, or refused by Discord
)

// ShardStatus is one shard's gateway connection, for the operator.
type ShardStatus struct {
	ID    int
	Count int
	State string
	// Latency is the time from the last heartbeat sent to its ACK (zero
	// until one has been measured).
	Latency time.Duration
	// Reconnects counts the connections lost and made again (resumed or
	// identified afresh) since start.
	Reconnects int64
}

// shard is one gateway session of the bot. Events from every shard go to
// the same Bot handlers; a shard only owns its connection: opening it in
// its turn, watching its heartbeats, reconnecting it, and its state.
type shard struct {
	b     *Bot
	id    int
	count int
	s     *discordgo.Session
	log   *slog.Logger
	// link is the gateway connection, cut when heartbeats stop so the
	// session is resumed (gatewaylink.go).
	link gatewayLink

	// gatewayMu serialises our Open (start, reconnect) and Close
	// (shutdown) of the gateway, so a reconnect cannot reopen a session
	// that Shutdown has closed.
	gatewayMu    sync.Mutex
	closing      bool
	reconnecting atomic.Bool
	connected    atomic.Bool
	state        atomic.Pointer[string]
	latency      atomic.Int64 // nanoseconds
	reconnects   atomic.Int64
	// readyOnce closes ready at the shard's first READY.
	readyOnce sync.Once
	ready     chan struct{}
	remove    []func()
}

func (sh *shard) setState(state string) { sh.state.Store(&state) }

// setConnected records the connection state and updates the bot's
// all-shards-connected gauge.
func (sh *shard) setConnected(up bool) {
	sh.connected.Store(up)
	if up {
		sh.setState(ShardConnected)
	}
	b := sh.b
	b.connectedMu.Lock()
	defer b.connectedMu.Unlock()
	b.metrics.SetGatewayConnected(b.Ready() == nil)
}

func (sh *shard) removeHandlers() {
	for _, r := range sh.remove {
		r()
	}
}

// shardPlan is what Start runs: the shard count, this process's shards,
// and how many may identify at once.
type shardPlan struct {
	count          int
	ids            []int
	maxConcurrency int
}

// planShards settles the shard count (asking Discord when it is "auto"),
// checks the session start limit, and lists this process's shards. A bot
// with one shard in all does not ask Discord, as before sharding existed.
func (b *Bot) planShards(ctx context.Context) (shardPlan, error) {
	want := Sharding{Count: max(b.s.ShardCount, 1), IDs: []int{b.s.ShardID}}
	if b.sharding != nil {
		want = *b.sharding
	}
	plan := shardPlan{count: want.Count, ids: want.IDs, maxConcurrency: 1}
	if want.Count == 1 && len(want.IDs) <= 1 {
		plan.ids = []int{0}
		return plan, plan.check()
	}
	lim, err := b.sessionStartLimit(ctx)
	if err != nil {
		return plan, err
	}
	if plan.count == 0 {
		plan.count = max(lim.shards, 1)
		b.log.Info("shard count from Discord's recommendation", "shard_count", plan.count)
	}
	if len(plan.ids) == 0 {
		plan.ids = make([]int, plan.count)
		for i := range plan.ids {
			plan.ids[i] = i
		}
	}
	plan.maxConcurrency = max(lim.maxConcurrency, 1)
	if err := plan.check(); err != nil {
		return plan, err
	}
	// total 0: Discord did not say (an old proxy); nothing to check.
	if lim.total > 0 && lim.remaining < len(plan.ids) {
		return plan, &SessionStartLimitError{Remaining: lim.remaining, Total: lim.total, Needed: len(plan.ids), ResetAfter: lim.resetAfter}
	}
	if lim.total > 0 && lim.remaining < 2*len(plan.ids)+10 {
		b.log.Warn("few gateway session starts left today", "remaining", lim.remaining, "total", lim.total,
			"reset_after", lim.resetAfter.String(), "shards", len(plan.ids))
	}
	return plan, nil
}

// check refuses shard lists Discord would refuse (close code 4010).
func (p shardPlan) check() error {
	seen := map[int]bool{}
	for _, id := range p.ids {
		if id < 0 || id >= p.count || seen[id] {
			return &GatewayError{CloseCode: closeInvalidShard, Reason: "invalid shard " + strconv.Itoa(id) + " of " + strconv.Itoa(p.count),
				Fix: "shard_ids must list shards from 0 to shard_count-1, each once"}
		}
		seen[id] = true
	}
	return nil
}

// newShardSession makes the gateway session of one more shard from the
// bot's session: same token, REST client, dialer and identify settings,
// and the same rate limiter, so that every REST call of the process
// counts against one set of Discord's limits.
func newShardSession(primary *discordgo.Session, id, count int) (*discordgo.Session, error) {
	s, err := discordgo.New(primary.Token)
	if err != nil {
		return nil, err
	}
	s.Client = primary.Client
	s.Dialer = primary.Dialer
	s.UserAgent = primary.UserAgent
	s.Ratelimiter = primary.Ratelimiter
	s.StateEnabled = primary.StateEnabled
	s.MaxRestRetries = primary.MaxRestRetries
	s.ShouldRetryOnRateLimit = primary.ShouldRetryOnRateLimit
	s.Compress = primary.Compress
	s.LogLevel = primary.LogLevel
	s.Identify = primary.Identify
	s.Identify.Shard = nil // discordgo sets it from ShardID and ShardCount
	s.ShardID, s.ShardCount = id, count
	return s, nil
}

// buildShards makes one session per shard of the plan: the first is the
// bot's own session (which also carries REST calls), the others copies.
// The copies are made before the first link is installed: they must copy
// the operator's REST client, not the link's wrapper.
func (b *Bot) buildShards(plan shardPlan) ([]*shard, error) {
	shards := make([]*shard, len(plan.ids))
	for i, id := range plan.ids {
		s := b.s
		if i > 0 {
			var err error
			if s, err = newShardSession(b.s, id, plan.count); err != nil {
				return nil, err
			}
		}
		s.ShardID, s.ShardCount = id, plan.count
		log := b.log
		if plan.count > 1 {
			log = b.log.With("shard_id", id)
		}
		shards[i] = &shard{b: b, id: id, count: plan.count, s: s, log: log, ready: make(chan struct{})}
		shards[i].setState(ShardWaiting)
	}
	for _, sh := range shards {
		s := sh.s
		// Handlers run in order on the gateway goroutine and hand their
		// work to goroutines we track, so shutdown can drain them and
		// READY, RESUMED and disconnects are seen in the order they
		// happened.
		s.SyncEvents = true
		// We reconnect ourselves: discordgo would retry a bad token forever.
		s.ShouldReconnectOnError = false
		s.Identify.Intents = b.Intents()
		sh.link.install(s)
		sh.remove = append(sh.remove,
			s.AddHandler(sh.onReady),
			s.AddHandler(sh.onRawReady),
			s.AddHandler(sh.onResumed),
			s.AddHandler(sh.onDisconnect),
			s.AddHandler(b.onMessageCreate),
			s.AddHandler(b.onInteractionCreate),
			s.AddHandler(b.onGuildDelete),
		)
	}
	return shards, nil
}

// Start connects every shard to the gateway, each in its turn, waits for
// their READY and registers the commands. A refusal that retrying cannot
// fix (bad token, disallowed intents, bad shard settings) is a
// *GatewayError; too few session starts left is a
// *SessionStartLimitError.
func (b *Bot) Start(ctx context.Context) error {
	plan, err := b.planShards(ctx)
	if err != nil {
		return err
	}
	shards, err := b.buildShards(plan)
	if err != nil {
		return err
	}
	b.shardsMu.Lock()
	b.shards = shards
	b.shardsMu.Unlock()
	if !b.cfg.MessageContentIntent {
		b.log.Warn("Message Content intent disabled: watched channels only see messages that mention the bot; mentions, DMs, /predict and the context menu still work",
			"watched_channels", len(b.cfg.WatchedChannels))
	}
	b.mu.Lock()
	b.accepting = true
	b.mu.Unlock()

	if len(shards) > 1 || plan.count > 1 {
		b.log.Info("starting shards", "shard_count", plan.count, "shards", digitbot.ShardRanges(plan.ids),
			"max_concurrency", plan.maxConcurrency)
	}
	started := time.Now()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(shards))
	var wg sync.WaitGroup
	for i, sh := range shards {
		turn := identifyTurn(started, sh.id, plan.maxConcurrency, b.cfg.IdentifyInterval)
		wg.Go(func() {
			if err := sh.start(sctx, turn); err != nil {
				errs[i] = err
				cancel() // one shard refused: the others stop trying
			}
		})
	}
	wg.Wait()
	if err := firstStartError(ctx, errs); err != nil {
		return err
	}
	b.log.Info("connected to the Discord gateway", "took", time.Since(started).String(),
		"intents", int(b.Intents()), "user_id", b.userID(), "shards", len(shards))
	for _, sh := range shards {
		go sh.watchHeartbeats(b.reconnectCtx)
	}
	b.registerCommands(ctx)
	return nil
}

// firstStartError picks the error that explains a failed start: a refusal
// from Discord over the cancellations it caused in the other shards.
func firstStartError(ctx context.Context, errs []error) error {
	var first error
	for _, err := range errs {
		if err == nil {
			continue
		}
		var ge *GatewayError
		if errors.As(err, &ge) {
			return err
		}
		if first == nil || (errors.Is(first, context.Canceled) && ctx.Err() == nil) {
			first = err
		}
	}
	return first
}

// start waits for the shard's turn to identify, then connects it.
func (sh *shard) start(ctx context.Context, turn time.Time) error {
	if wait := time.Until(turn); wait > 0 {
		sh.log.Info("waiting for this shard's turn to identify", "shard_id", sh.id, "shard_count", sh.count, "wait", wait.Round(time.Millisecond).String())
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			sh.setState(ShardStopped)
			return fmt.Errorf("bot: shard %d: waiting for its turn to identify: %w", sh.id, ctx.Err())
		}
	}
	sh.setState(ShardConnecting)
	if err := sh.open(ctx); err != nil {
		sh.setState(ShardStopped)
		if sh.count > 1 {
			return fmt.Errorf("shard %d of %d: %w", sh.id, sh.count, err)
		}
		return err
	}
	return nil
}

// open connects the gateway, bounded by ctx and Config.ReadyTimeout:
// discordgo's Open blocks until READY and has no timeout of its own.
func (sh *shard) open(ctx context.Context) error {
	b := sh.b
	done := make(chan error, 1)
	go func() {
		sh.gatewayMu.Lock()
		defer sh.gatewayMu.Unlock()
		if sh.closing {
			done <- errors.New("bot: shutting down")
			return
		}
		done <- sh.s.Open()
	}()
	timer := time.NewTimer(b.cfg.ReadyTimeout)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			return gatewayError(err)
		}
	case <-ctx.Done():
		go sh.closeWhenOpened(done)
		return fmt.Errorf("bot: connecting to the gateway: %w", ctx.Err())
	case <-timer.C:
		go sh.closeWhenOpened(done)
		return fmt.Errorf("bot: no READY from the Discord gateway within %s", b.cfg.ReadyTimeout)
	}
	// discordgo's Open returns after the first answer to IDENTIFY, which is
	// op 9 INVALID_SESSION instead of READY when identifies come too fast
	// (discordgo then identifies again): wait for READY itself.
	giveUp := func() {
		b.stopReconnect()
		go sh.s.Close()
	}
	select {
	case <-sh.ready:
		return nil
	case <-ctx.Done():
		giveUp()
		return fmt.Errorf("bot: connecting to the gateway: %w", ctx.Err())
	case <-timer.C:
		giveUp()
		return fmt.Errorf("bot: no READY from the Discord gateway within %s", b.cfg.ReadyTimeout)
	}
}

// closeWhenOpened closes a session whose Open we gave up waiting for,
// without reconnecting it: Start has failed.
func (sh *shard) closeWhenOpened(done <-chan error) {
	sh.b.stopReconnect()
	if err := <-done; err == nil {
		sh.s.Close()
	}
}

// close closes the gateway for good (Shutdown).
func (sh *shard) close() {
	sh.gatewayMu.Lock()
	defer sh.gatewayMu.Unlock()
	sh.closing = true
	// ShouldReconnectOnError has been false since Start: discordgo will
	// not reopen behind our back.
	sh.s.Close()
	sh.connected.Store(false)
	sh.setState(ShardStopped)
}

// startedShards returns the shards Start made (none before).
func (b *Bot) startedShards() []*shard {
	b.shardsMu.Lock()
	defer b.shardsMu.Unlock()
	return b.shards
}

// Ready reports whether every shard's gateway is connected (for /healthz).
func (b *Bot) Ready() error {
	shards := b.startedShards()
	if len(shards) == 0 {
		return errors.New("discord gateway not connected")
	}
	var down []string
	for _, sh := range shards {
		if !sh.connected.Load() {
			down = append(down, strconv.Itoa(sh.id))
		}
	}
	switch {
	case len(down) == 0:
		return nil
	case len(shards) == 1:
		return errors.New("discord gateway not connected")
	}
	return fmt.Errorf("discord gateway not connected on shard %s (of %d here)", strings.Join(down, ", "), len(shards))
}

// Shards reports every shard this bot runs, by shard id.
func (b *Bot) Shards() []ShardStatus {
	shards := b.startedShards()
	out := make([]ShardStatus, 0, len(shards))
	for _, sh := range shards {
		out = append(out, ShardStatus{ID: sh.id, Count: sh.count, State: *sh.state.Load(),
			Latency: time.Duration(sh.latency.Load()), Reconnects: sh.reconnects.Load()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// stateFor is the gateway state that holds a server (its shard's), or
// the DM shard's for "".
func (b *Bot) stateFor(guildID string) *discordgo.State {
	shards := b.startedShards()
	if len(shards) == 0 {
		if b.s.StateEnabled {
			return b.s.State
		}
		return nil
	}
	want := 0
	if guildID != "" {
		if id, err := strconv.ParseUint(guildID, 10, 64); err == nil {
			want = int((id >> 22) % uint64(shards[0].count))
		}
	}
	for _, sh := range shards {
		if sh.id == want {
			if sh.s.StateEnabled {
				return sh.s.State
			}
			return nil
		}
	}
	return nil
}

// onReady runs inside discordgo's Open, under the session lock: it must
// not call the session.
func (sh *shard) onReady(_ *discordgo.Session, r *discordgo.Ready) {
	b := sh.b
	id := &identity{}
	if r.User != nil {
		id.UserID = r.User.ID
	}
	if r.Application != nil {
		id.AppID = r.Application.ID
	}
	if id.AppID == "" {
		id.AppID = id.UserID // older applications share the ids
	}
	b.me.Store(id)
	sh.readyOnce.Do(func() { close(sh.ready) })
	sh.setConnected(true)
	sh.log.Info("gateway READY", "guilds", len(r.Guilds), "session_resumable", r.SessionID != "")
	member := make(map[string]bool, len(r.Guilds))
	for _, g := range r.Guilds {
		if g != nil && g.ID != "" {
			member[g.ID] = true // unavailable too: an outage is not a removal
		}
	}
	if !b.cfg.KeepMissingGuilds {
		b.track("ready_purges", func() { b.onReadyGuilds(member, sh.id, sh.count) })
	}
}

func (sh *shard) onResumed(_ *discordgo.Session, _ *discordgo.Resumed) {
	sh.setConnected(true)
	sh.log.Info("gateway session resumed")
}

// onDisconnect starts our reconnect loop, unless we are the ones closing.
func (sh *shard) onDisconnect(_ *discordgo.Session, _ *discordgo.Disconnect) {
	sh.setConnected(false)
	if sh.b.reconnectCtx.Err() != nil {
		return
	}
	if !sh.reconnecting.CompareAndSwap(false, true) {
		return
	}
	sh.setState(ShardReconnecting)
	sh.log.Warn("gateway disconnected; reconnecting")
	go sh.reconnect()
}

// reconnect reopens the gateway with exponential backoff (discordgo then
// resumes the session). Refusals that retrying cannot fix go to Fatal.
//
// Reconnects are not paced by rate_limit_key: a RESUME is not limited,
// and when discordgo has to identify afresh too soon, Discord answers op
// 9 and discordgo identifies again until the window opens.
func (sh *shard) reconnect() {
	b := sh.b
	defer sh.reconnecting.Store(false)
	wait := time.Duration(0)
	for attempt := 1; ; attempt++ {
		select {
		case <-b.reconnectCtx.Done():
			return
		case <-time.After(wait):
		}
		sh.gatewayMu.Lock()
		if sh.closing {
			sh.gatewayMu.Unlock()
			return
		}
		sh.link.steerToResumeURL()
		err := sh.s.Open()
		if errors.Is(err, errDialResumeURL) {
			err = sh.s.Open() // now at the resume URL (gatewaylink.go)
		}
		if errors.Is(err, errDialResumeURL) {
			// Dialled through a proxy: the address is the proxy's, not the
			// resume host's. Resume where discordgo goes.
			sh.link.stopSteering()
			err = sh.s.Open()
		}
		sh.link.stopSteering()
		sh.gatewayMu.Unlock()
		if err == nil || errors.Is(err, discordgo.ErrWSAlreadyOpen) {
			sh.reconnects.Add(1)
			sh.log.Info("gateway reconnected", "attempt", attempt)
			return
		}
		var ge *GatewayError
		if errors.As(gatewayError(err), &ge) {
			sh.setState(ShardStopped)
			sh.log.Error("gateway refused to reconnect", "close_code", ge.CloseCode, "fix", ge.Fix)
			select {
			case b.fatal <- ge:
			default:
			}
			return
		}
		wait = min(max(2*wait, time.Second), time.Minute)
		sh.log.Warn("gateway reconnect failed", "attempt", attempt, "err", err.Error(), "retry_in", wait.String())
	}
}
