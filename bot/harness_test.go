package bot_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/bot"
	"github.com/digitbot/digitbot/chart"
	"github.com/digitbot/digitbot/classifier"
	"github.com/digitbot/digitbot/fakediscord"
	"github.com/digitbot/digitbot/internal/digitbottest"
	"github.com/digitbot/digitbot/models"
	"github.com/digitbot/digitbot/store"
)

// The tests run the real bot on a real discordgo session against the
// in-repo Discord server and the real chart renderer. The classifier and
// store are the doubles of internal/digitbottest by default: a scripted
// classifier that reads each testdata picture as its name says, and the
// in-memory store with the real one's rules. Those tests are about the
// bot and Discord; what the bot does with the real model and bbolt (an
// upload read by the model, its verdict, /stats from the database, the
// model's errors and boxes, a guild purge queued in bbolt) is tested with
// harnessOptions.real.

const (
	guildID   = fakediscord.DefaultGuildID
	channelID = fakediscord.DefaultChannelID
	aliceID   = fakediscord.DefaultUserID
	bobID     = "1300000000000000003"
	// otherChannelID is a second channel of the test guild, not watched.
	otherChannelID = "1200000000000000003"
	// threadID is a public thread of otherChannelID.
	threadID = "1200000000000000004"
)

var (
	alice = &discordgo.User{ID: aliceID, Username: "alice"}
	bob   = &discordgo.User{ID: bobID, Username: "bob"}
)

// manageGuild is a member's permission set with Manage Server.
var manageGuild = int64(discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
	discordgo.PermissionUseSlashCommands | discordgo.PermissionManageGuild)

// sharedClassifier loads the model once per test binary: its start-up
// self-test runs the model on every worker, which is worth doing once.
var sharedClassifier = sync.OnceValues(func() (*classifier.Classifier, error) {
	card, err := models.Card()
	if err != nil {
		return nil, err
	}
	return classifier.New(classifier.Options{ONNX: models.ONNX(), Card: card, Workers: 2})
})

// harnessOptions vary the world a test runs in.
type harnessOptions struct {
	// messageContentAllowed is the Developer Portal switch (server side);
	// messageContentIntent what the bot asks for.
	messageContentAllowed bool
	messageContentIntent  bool
	watched               []string
	ratePerMinute         float64
	rateBurst             int
	defaultLocale         string
	imagesPerMessage      int
	maxImageBytes         int64
	workers, queue        int
	token                 string // the bot's token when it differs from the server's
	clock                 fakediscord.Clock
	noStart               bool
	// globalCommands registers commands globally (usable in DMs) instead
	// of in the test guild.
	globalCommands bool
	// downloadDelay slows every attachment download.
	downloadDelay time.Duration
	// responseDeadline is how long the server gives an interaction's
	// first response (fakediscord's default, Discord's 3 s, when zero).
	responseDeadline time.Duration
	// downloadTimeout bounds one download (the bot's default when zero).
	downloadTimeout time.Duration
	// maxMessages bounds what the fake server keeps (0: everything).
	maxMessages int
	// downloadWrap, when set, wraps the attachment download transport.
	downloadWrap      func(http.RoundTripper) http.RoundTripper
	keepMissingGuilds bool
	metrics           bot.Metrics
	// heartbeat is the gateway's heartbeat interval (fakediscord's 1 s
	// default when zero; Discord's is 41.25 s).
	heartbeat time.Duration
	// real runs the embedded model and a bbolt file instead of the
	// doubles (scriptedTestdata, an in-memory store).
	real bool
	// classifier and store replace the default ones when set.
	classifier digitbot.Classifier
	store      digitbot.Store
	// guilds replace the test guild; sharding, serverSharding,
	// maxConcurrency and identifyWindow set up several shards
	// (shards_test.go).
	guilds         []fakediscord.GuildOptions
	sharding       *bot.Sharding
	serverSharding fakediscord.ShardOptions
	maxConcurrency int
	identifyWindow time.Duration
}

func defaultHarness() harnessOptions {
	return harnessOptions{messageContentAllowed: true, messageContentIntent: true, watched: []string{channelID}}
}

// realHarness is defaultHarness on the embedded model and a bbolt file.
func realHarness() harnessOptions {
	o := defaultHarness()
	o.real = true
	return o
}

type harness struct {
	t   testing.TB
	srv *fakediscord.Server
	bot *bot.Bot
	// st is the bot's store; db the same when it is a bbolt file (real),
	// else nil.
	st digitbot.Store
	db *store.DB
	// cls is the scripted classifier, nil when the bot runs another.
	cls  *digitbottest.Classifier
	sess *discordgo.Session
	logs *digitbottest.SyncBuffer
	// gateway hears the bot report its connection state (waitReady).
	gateway *gatewayWatch
}

// gatewayWatch is the bot's Metrics in the harness: it passes every
// observation on to the test's own Metrics, if any, and wakes waitReady
// each time the bot reports a change of its gateway connection.
type gatewayWatch struct {
	next    bot.Metrics
	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every report
}

func newGatewayWatch(next bot.Metrics) *gatewayWatch {
	return &gatewayWatch{next: next, changed: make(chan struct{})}
}

func (w *gatewayWatch) ObservePrediction(outcome string, d time.Duration) {
	if w.next != nil {
		w.next.ObservePrediction(outcome, d)
	}
}

func (w *gatewayWatch) ObserveReply(d time.Duration) {
	if w.next != nil {
		w.next.ObserveReply(d)
	}
}

func (w *gatewayWatch) ObserveEvaluation(result string) {
	if w.next != nil {
		w.next.ObserveEvaluation(result)
	}
}

func (w *gatewayWatch) ObserveRateLimited() {
	if w.next != nil {
		w.next.ObserveRateLimited()
	}
}

func (w *gatewayWatch) SetGatewayConnected(up bool) {
	if w.next != nil {
		w.next.SetGatewayConnected(up)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	close(w.changed)
	w.changed = make(chan struct{})
}

// next returns a channel closed at the bot's next report.
func (w *gatewayWatch) nextReport() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.changed
}

func newHarness(t testing.TB, o harnessOptions) *harness {
	t.Helper()
	cls := o.classifier
	scripted, _ := cls.(*digitbottest.Classifier)
	switch {
	case cls != nil:
	case o.real:
		shared, err := sharedClassifier()
		if err != nil {
			t.Fatalf("classifier: %v", err)
		}
		cls = shared
	default:
		scripted = scriptedTestdata(t)
		cls = scripted
	}
	guilds := o.guilds
	if guilds == nil {
		guilds = []fakediscord.GuildOptions{{
			ID: guildID, Name: "Test Guild", OwnerID: fakediscord.DefaultOwnerID,
			Channels: []fakediscord.ChannelOptions{{ID: channelID, Name: "digits"}, {ID: otherChannelID, Name: "general"},
				{ID: threadID, Name: "a thread", ThreadOf: otherChannelID}},
		}}
	}
	srv := fakediscord.New(t, fakediscord.Options{
		MessageContentAllowed: o.messageContentAllowed,
		Clock:                 o.clock,
		HeartbeatInterval:     o.heartbeat,
		ResponseDeadline:      o.responseDeadline,
		MaxMessages:           o.maxMessages,
		Guilds:                guilds,
		Sharding:              o.serverSharding,
		MaxConcurrency:        o.maxConcurrency,
		IdentifyInterval:      o.identifyWindow,
	})
	st := o.store
	var db *store.DB
	closeStore := func() {}
	if st == nil && !o.real {
		st = digitbottest.NewStore()
	}
	if st == nil {
		bolt, err := store.Open(filepath.Join(t.TempDir(), "digitbot.db"), store.Options{})
		if err != nil {
			t.Fatalf("store: %v", err)
		}
		st, db, closeStore = bolt, bolt, func() { bolt.Close() }
	}
	devGuild := guildID
	if o.globalCommands {
		devGuild = ""
	}
	token := "Bot " + srv.Token()
	if o.token != "" {
		token = o.token
	}
	sess, err := discordgo.New(token)
	if err != nil {
		t.Fatal(err)
	}
	srv.Configure(sess)
	download := srv.HTTPClient()
	if o.downloadDelay > 0 {
		download.Transport = slowTransport{base: download.Transport, delay: o.downloadDelay}
	}
	if o.downloadWrap != nil {
		download.Transport = o.downloadWrap(download.Transport)
	}
	logs := &digitbottest.SyncBuffer{}
	var logOut io.Writer = logs
	if testing.Verbose() && os.Getenv("DIGITBOT_TEST_LOGS") != "" {
		logOut = io.MultiWriter(logs, os.Stderr)
	}
	gateway := newGatewayWatch(o.metrics)
	b, err := bot.New(bot.Options{
		Session:    sess,
		Classifier: cls,
		Store:      st,
		Render: func(s digitbot.Stats, r bot.ChartRequest) ([]byte, error) {
			return chart.Render(s, chart.Options{Title: r.Title, Threshold: r.Threshold, Lang: r.Lang, Width: 600, Height: 400})
		},
		Metrics:    gateway,
		Logger:     slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: slog.LevelDebug})),
		HTTPClient: download,
		Sharding:   o.sharding,
		Config: bot.Config{
			WatchedChannels:      o.watched,
			MessageContentIntent: o.messageContentIntent,
			RateLimitPerMinute:   o.ratePerMinute,
			RateLimitBurst:       o.rateBurst,
			DefaultLocale:        o.defaultLocale,
			ImagesPerMessage:     o.imagesPerMessage,
			MaxImageBytes:        o.maxImageBytes,
			Workers:              o.workers,
			QueueSize:            o.queue,
			DevGuildID:           devGuild,
			ReadyTimeout:         5 * time.Second,
			RequestTimeout:       5 * time.Second,
			KeepMissingGuilds:    o.keepMissingGuilds,
			DownloadTimeout:      o.downloadTimeout,
			IdentifyInterval:     identifyMargin(o.identifyWindow),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: srv, bot: b, st: st, db: db, cls: scripted, sess: sess, logs: logs, gateway: gateway}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b.Shutdown(ctx)
		closeStore()
		if strings.Contains(logs.String(), srv.Token()) {
			t.Errorf("the bot token appears in the logs")
		}
	})
	if !o.noStart {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := b.Start(ctx); err != nil {
			t.Fatalf("Start: %v", err)
		}
		if err := srv.WaitCommands(ctx, devGuild, "predict", "stats", "Recognize digit"); err != nil {
			t.Fatalf("commands not registered: %v", err)
		}
	}
	return h
}

// scriptedTestdata is a classifier double that reads each testdata
// picture as its name says (digit-N.* is N, blank.png has no ink), as
// TestBot_EveryMNISTDigit_IsRecognised checks the real model does.
func scriptedTestdata(t testing.TB) *digitbottest.Classifier {
	t.Helper()
	cls := digitbottest.NewClassifier()
	names, err := filepath.Glob(filepath.Join("testdata", "digit-*"))
	if err != nil || len(names) == 0 {
		t.Fatalf("testdata pictures: %v %v", names, err)
	}
	for _, name := range names {
		base := filepath.Base(name)
		cls.Script(testImage(t, base).Data, digitbottest.Digit(int(base[len("digit-")]-'0'), 0.98))
	}
	cls.ScriptError(testImage(t, "blank.png").Data, digitbot.Errorf(digitbot.ENODIGIT, "I couldn't find any ink in this image: it looks blank."))
	return cls
}

// ctx is a context for one wait in a test.
func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	h.t.Cleanup(cancel)
	return ctx
}

// testImage reads a test picture from testdata.
func testImage(t testing.TB, name string) fakediscord.File {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return fakediscord.File{Name: name, Data: data}
}

// replyTo waits for the bot's reply to a message.
func (h *harness) replyTo(msgID string) *fakediscord.Message {
	h.t.Helper()
	m, err := h.srv.WaitMessage(h.ctx(), func(m *fakediscord.Message) bool {
		return m.Author != nil && m.Author.ID == h.srv.AppID() && m.MessageReference != nil && m.MessageReference.MessageID == msgID
	})
	if err != nil {
		h.t.Fatalf("no reply to message %s: %v\nlogs:\n%s", msgID, err, h.logs.String())
	}
	return m
}

// repliesTo waits for n replies to a message, oldest first.
func (h *harness) repliesTo(msgID string, n int) []*fakediscord.Message {
	h.t.Helper()
	var out []*fakediscord.Message
	channel := h.channelOf(msgID)
	err := h.srv.WaitUntil(h.ctx(), func() bool {
		out = out[:0]
		for _, m := range h.srv.Messages(channel) {
			if m.Author != nil && m.Author.ID == h.srv.AppID() && m.MessageReference != nil && m.MessageReference.MessageID == msgID {
				out = append(out, m)
			}
		}
		return len(out) >= n
	})
	if err != nil {
		h.t.Fatalf("got %d replies to %s, want %d: %v", len(out), msgID, n, err)
	}
	return out
}

// waitServer waits until cond, which may read the fake server, holds; it
// is checked again at each change on the server. what names the wait in
// the failure.
func (h *harness) waitServer(what string, cond func() bool) {
	h.t.Helper()
	if err := h.srv.WaitUntil(h.ctx(), cond); err != nil {
		h.t.Fatalf("waiting for %s: %v\nlogs:\n%s", what, err, h.logs.String())
	}
}

// waitReady waits until the bot reports every shard connected again.
func (h *harness) waitReady() {
	h.t.Helper()
	h.waitBot("the bot ready", func() bool { return h.bot.Ready() == nil })
}

// waitBot waits until cond, which reads the bot's state, holds; it is
// checked again each time the bot reports a change of its gateway
// connection or writes a log line (it logs every change of state).
func (h *harness) waitBot(what string, cond func() bool) {
	h.t.Helper()
	ctx := h.ctx()
	for {
		report, logged := h.gateway.nextReport(), h.logs.Next()
		if cond() {
			return
		}
		select {
		case <-report:
		case <-logged:
		case <-ctx.Done():
			h.t.Fatalf("waiting for %s: %v\nlogs:\n%s", what, ctx.Err(), h.logs.String())
		}
	}
}

// waitLog waits until the bot's log contains each of subs.
func (h *harness) waitLog(subs ...string) {
	h.t.Helper()
	if err := h.logs.WaitFor(h.ctx(), subs...); err != nil {
		h.t.Fatalf("the log: %v\n%s", err, h.logs.String())
	}
}

func (h *harness) channelOf(msgID string) string {
	m, ok := h.srv.Message(msgID)
	if !ok {
		h.t.Fatalf("no message %s", msgID)
	}
	return m.ChannelID
}

// post posts a message and fails the test on error.
func (h *harness) post(o fakediscord.MessageOptions) *fakediscord.Message {
	h.t.Helper()
	m, err := h.srv.PostMessage(o)
	if err != nil {
		h.t.Fatalf("PostMessage: %v", err)
	}
	return m
}

// buttonID returns the custom_id of the button labelled label.
func buttonID(t testing.TB, m *fakediscord.Message, label string) string {
	t.Helper()
	for _, b := range m.Buttons() {
		if b.Label == label {
			return b.CustomID
		}
	}
	t.Fatalf("no button %q on message %s", label, m.ID)
	return ""
}

// embedText is all the text of a message's embeds, for assertions.
func embedText(m *fakediscord.Message) string {
	var sb strings.Builder
	sb.WriteString(m.Content)
	for _, e := range m.Embeds {
		sb.WriteString("\n" + e.Title + "\n" + e.Description)
		for _, f := range e.Fields {
			sb.WriteString("\n" + f.Name + ": " + f.Value)
		}
		if e.Footer != nil {
			sb.WriteString("\n" + e.Footer.Text)
		}
	}
	return sb.String()
}

// press presses a button as a user and waits for the interaction's result.
func (h *harness) press(m *fakediscord.Message, customID string, who *discordgo.User, locale string) *fakediscord.Interaction {
	h.t.Helper()
	in, err := h.srv.PressButton(fakediscord.ButtonOptions{
		Actor:     fakediscord.Actor{User: who, Locale: locale},
		MessageID: m.ID, CustomID: customID,
	})
	if err != nil {
		h.t.Fatalf("PressButton: %v", err)
	}
	if _, err := in.WaitResponse(h.ctx()); err != nil {
		h.t.Fatalf("no response to the press: %v\nlogs:\n%s", err, h.logs.String())
	}
	return in
}

// final waits for an interaction's visible result.
func (h *harness) final(in *fakediscord.Interaction) *fakediscord.Message {
	h.t.Helper()
	m, err := in.WaitFinal(h.ctx())
	if err != nil {
		h.t.Fatalf("interaction %s: %v\nattempts: %+v\nlogs:\n%s", in.ID(), err, in.Attempts(), h.logs.String())
	}
	return m
}

// slash runs a slash command and fails the test on error.
func (h *harness) slash(o fakediscord.CommandOptions) *fakediscord.Interaction {
	h.t.Helper()
	in, err := h.srv.RunSlashCommand(o)
	if err != nil {
		h.t.Fatalf("RunSlashCommand %s: %v", o.Name, err)
	}
	return in
}

// evaluations counts the evaluations stored for a scope.
func (h *harness) evaluations(scope digitbot.Scope) int {
	h.t.Helper()
	evals, err := h.st.History(context.Background(), scope, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	return len(evals)
}
