package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/admin"
	"github.com/digitbot/digitbot/bot"
	"github.com/digitbot/digitbot/chart"
	"github.com/digitbot/digitbot/classifier"
	"github.com/digitbot/digitbot/config"
	"github.com/digitbot/digitbot/models"
	"github.com/digitbot/digitbot/store"
)

// Shutdown budget: the whole of Close stays under the 8 s a container
// runtime typically allows between SIGTERM and SIGKILL (Docker: 10 s).
const (
	botShutdownTimeout   = 5 * time.Second
	adminShutdownTimeout = time.Second
	janitorInterval      = 10 * time.Minute
)

// runRun is `digitbot run [--config FILE]`.
func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "TOML config `file` (environment variables DIGITBOT_* override it)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: digitbot run [--config FILE]\n\nThe token comes from DIGITBOT_TOKEN or the file named by DIGITBOT_TOKEN_FILE (or token_file).")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	m := NewRunner()
	m.ConfigPath = *configPath
	m.Getenv = os.LookupEnv
	m.LogOutput = stderr
	m.routeLibraryLogs = true
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	var err error
	select {
	case <-ctx.Done():
		m.Logger.Info("signal received; shutting down")
	case ferr := <-m.Bot.Fatal():
		err = ferr
	}
	if cerr := m.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

// Runner is a running digitbot: its configuration and every part, built by
// Run and torn down in order by Close. Tests set the exported fields that
// Run would otherwise fill (NewSession, HTTPClient, Config).
type Runner struct {
	ConfigPath string
	Getenv     func(string) (string, bool)
	LogOutput  io.Writer
	// Config, when set (HaveConfig true), is used instead of loading one.
	Config     config.Config
	HaveConfig bool
	// NewSession creates the Discord session from the token; tests point
	// it at an in-process Discord. Default: discordgo.New("Bot " + token).
	NewSession func(token string) (*discordgo.Session, error)
	// HTTPClient downloads attachments; nil means a client of its own.
	HTTPClient *http.Client
	// KeepMissingGuilds keeps the data of stored servers the bot's Discord
	// does not list (see bot.Config.KeepMissingGuilds).
	KeepMissingGuilds bool
	Now               func() time.Time

	Logger     *slog.Logger
	Metrics    *admin.Metrics
	Classifier *classifier.Classifier
	DB         *store.DB
	Admin      *admin.Server
	Session    *discordgo.Session
	Bot        *bot.Bot

	routeLibraryLogs bool
	// createdDB is the database file this run created; Close removes it
	// when the bot never connected.
	createdDB      string
	connected      bool
	stopBackground context.CancelFunc
	background     sync.WaitGroup
	closeOnce      sync.Once
	closeErr       error
}

// NewRunner returns a Runner with production defaults.
func NewRunner() *Runner {
	return &Runner{
		Getenv:    os.LookupEnv,
		LogOutput: os.Stderr,
		Now:       time.Now,
		NewSession: func(token string) (*discordgo.Session, error) {
			if !strings.HasPrefix(token, "Bot ") {
				token = "Bot " + token
			}
			return discordgo.New(token)
		},
	}
}

// Run loads the configuration and starts everything: classifier (with its
// self-test), store (janitor, backups), admin server, bot. It returns once
// the bot is connected and its commands registered. On error, call Close.
func (m *Runner) Run(ctx context.Context) error {
	if !m.HaveConfig {
		cfg, err := config.Load(m.ConfigPath, m.Getenv)
		if errors.Is(err, config.ErrNoToken) {
			return &exitError{code: 2, msg: "digitbot run: " + err.Error()}
		}
		if err != nil {
			return &exitError{code: 2, msg: "digitbot run: " + err.Error()}
		}
		m.Config, m.HaveConfig = cfg, true
	}
	cfg := m.Config
	if cfg.Token == "" {
		return &exitError{code: 2, msg: "digitbot run: " + config.ErrNoToken.Error()}
	}
	m.Logger = newLogger(m.LogOutput, cfg.LogLevel, cfg.LogFormat)
	if m.routeLibraryLogs {
		// discordgo logs through the standard log package: send it to the
		// same JSON stream.
		slog.SetDefault(m.Logger)
	}
	m.Logger.Info("starting digitbot", "config", cfg)
	if w := tokenFileWarning(cfg.TokenFile); w != "" {
		m.Logger.Warn(w)
	}

	card, err := models.Card()
	if err != nil {
		return err
	}
	m.Classifier, err = classifier.New(classifier.Options{
		ONNX: models.ONNX(), Card: card, Workers: cfg.Workers,
		MaxBytes: cfg.MaxImageBytes, MaxPixels: cfg.MaxImagePixels,
	})
	if err != nil {
		return fmt.Errorf("loading the model: %w", err)
	}
	m.Logger.Info("model loaded and self-tested", "model", card.Name, "sha256", card.ONNXSHA256)

	// A first start that cannot reach Discord should leave nothing
	// behind: Close removes a database file this run created unless the
	// bot got connected.
	if _, err := os.Stat(cfg.DatabasePath); errors.Is(err, iofs.ErrNotExist) {
		m.createdDB = cfg.DatabasePath
	}
	m.DB, err = store.Open(cfg.DatabasePath, store.Options{
		PendingTTL: cfg.PendingTTL.Duration, Now: m.Now, Logger: m.Logger.With("component", "store"),
	})
	if err != nil {
		return fmt.Errorf("opening the database %s: %w", cfg.DatabasePath, err)
	}
	var bg context.Context
	bg, m.stopBackground = context.WithCancel(context.Background())
	m.background.Go(func() { m.DB.RunJanitor(bg, janitorInterval) })
	if cfg.BackupDir != "" && cfg.BackupInterval.Duration > 0 {
		m.background.Go(func() {
			m.DB.RunBackups(bg, cfg.BackupDir, cfg.BackupInterval.Duration, cfg.BackupKeep, m.Logger.With("component", "backup"))
		})
	}

	m.Metrics = admin.NewMetrics()
	if cfg.AdminAddr != "" {
		m.Admin, err = admin.NewServer(cfg.AdminAddr, m.Metrics, m.ready)
		if errors.Is(err, syscall.EADDRINUSE) {
			return &exitError{code: 1, msg: fmt.Sprintf("digitbot run: the admin address %s is in use (another digitbot running?): set admin_addr or DIGITBOT_ADMIN_ADDR to a free address, or to \"\" to turn /healthz and /metrics off", cfg.AdminAddr)}
		}
		if err != nil {
			return fmt.Errorf("admin server on %s: %w", cfg.AdminAddr, err)
		}
		m.background.Go(func() {
			if err := m.Admin.Serve(); err != nil {
				m.Logger.Error("admin server stopped", "err", err.Error())
			}
		})
		m.Logger.Info("serving /healthz and /metrics", "addr", m.Admin.Addr())
	}

	m.Session, err = m.NewSession(cfg.Token)
	if err != nil {
		return fmt.Errorf("creating the Discord session: %w", err)
	}
	// The bot opens one gateway session per shard of this process, all
	// sharing the store, the classifier, the admin server and the REST
	// client; Discord routes each shard's servers (and, for shard 0, DMs)
	// to its session.
	shardCount, shardIDs := cfg.Sharding()
	httpClient := m.HTTPClient
	if httpClient == nil {
		httpClient = downloadClient()
	}
	m.Bot, err = bot.New(bot.Options{
		Session:    m.Session,
		Classifier: m.Classifier,
		Store:      m.DB,
		Render:     renderChart,
		Metrics:    m.Metrics,
		Logger:     m.Logger.With("component", "bot"),
		HTTPClient: httpClient,
		Now:        m.Now,
		Sharding:   &bot.Sharding{Count: shardCount, IDs: shardIDs},
		Config: bot.Config{
			Threshold:            cfg.Threshold,
			ImagesPerMessage:     cfg.ImagesPerMessage,
			MaxImageBytes:        cfg.MaxImageBytes,
			MaxImagePixels:       cfg.MaxImagePixels,
			RateLimitPerMinute:   cfg.RateLimitPerMinute,
			RateLimitBurst:       cfg.RateLimitBurst,
			DefaultLocale:        cfg.DefaultLocale,
			WatchedChannels:      cfg.WatchedChannels,
			DevGuildID:           cfg.DevGuildID,
			MessageContentIntent: cfg.MessageContentIntent,
			AllowedHosts:         cfg.AllowedHosts,
			DownloadTimeout:      cfg.DownloadTimeout.Duration,
			Workers:              cfg.Workers,
			QueueSize:            cfg.QueueSize,
			KeepMissingGuilds:    m.KeepMissingGuilds,
		},
	})
	if err != nil {
		return err
	}
	bt := m.Bot
	shardStatus := func() []admin.ShardStatus {
		var out []admin.ShardStatus
		for _, s := range bt.Shards() {
			out = append(out, admin.ShardStatus{ID: s.ID, State: s.State, Latency: s.Latency, Reconnects: s.Reconnects})
		}
		return out
	}
	m.Metrics.WatchShards(shardStatus)
	if m.Admin != nil {
		m.Admin.ReportShards(shardStatus)
	}
	if err := m.Bot.Start(ctx); err != nil {
		var ge *bot.GatewayError
		if errors.As(err, &ge) {
			return &exitError{code: 1, msg: "digitbot run: " + err.Error()}
		}
		var le *bot.SessionStartLimitError
		if errors.As(err, &le) {
			return &exitError{code: 1, msg: "digitbot run: " + le.Error()}
		}
		if reason, ok := unreachable(err); ok {
			return &exitError{code: 1, msg: "digitbot run: cannot reach Discord (DNS/network/proxy?): " + reason}
		}
		return fmt.Errorf("connecting to Discord: %w", err)
	}
	m.connected = true
	m.Logger.Info("digitbot is running")
	return nil
}

// ready is /healthz: the gateway is connected and the store is open.
func (m *Runner) ready() error {
	if m.DB == nil {
		return errors.New("database not open")
	}
	if m.Bot == nil {
		return errors.New("bot starting")
	}
	return m.Bot.Ready()
}

// Close shuts down in order: the bot stops taking events and drains its
// work, the gateway closes, background jobs stop, then the admin server,
// the classifier and last the database. It is safe to call after a
// partial Run and more than once.
func (m *Runner) Close() error {
	m.closeOnce.Do(func() {
		var errs []error
		if m.Bot != nil {
			ctx, cancel := context.WithTimeout(context.Background(), botShutdownTimeout)
			errs = append(errs, m.Bot.Shutdown(ctx))
			cancel()
		} else if m.Session != nil {
			m.Session.ShouldReconnectOnError = false
		}
		if m.stopBackground != nil {
			m.stopBackground()
		}
		if m.Admin != nil {
			ctx, cancel := context.WithTimeout(context.Background(), adminShutdownTimeout)
			errs = append(errs, m.Admin.Close(ctx))
			cancel()
		}
		m.background.Wait()
		if m.Classifier != nil {
			errs = append(errs, m.Classifier.Close())
		}
		if m.DB != nil {
			errs = append(errs, m.DB.Close())
			if m.createdDB != "" && !m.connected {
				if err := os.Remove(m.createdDB); err != nil && !errors.Is(err, iofs.ErrNotExist) {
					errs = append(errs, err)
				}
			}
		}
		m.closeErr = errors.Join(errs...)
		if m.Logger != nil {
			if m.closeErr != nil {
				m.Logger.Error("shutdown finished with errors", "err", m.closeErr.Error())
			} else {
				m.Logger.Info("shutdown complete")
			}
		}
	})
	return m.closeErr
}

// renderChart adapts chart.Render to the bot.
func renderChart(s digitbot.Stats, req bot.ChartRequest) ([]byte, error) {
	return chart.Render(s, chart.Options{Title: req.Title, Threshold: req.Threshold, Lang: req.Lang})
}

// downloadClient is the attachment client: its own transport and no
// cookie jar, so it never shares anything with the session's client that
// carries the bot token.
func downloadClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 15 * time.Second,
	}}
}

// newLogger builds the slog logger: JSON (default) or text, at a level.
func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lv = slog.LevelDebug
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// unreachable reports whether err means Discord could not be reached at
// all (name resolution, connection, TLS, proxy, timeout) rather than a
// refusal, and says what failed in one short phrase.
func unreachable(err error) (string, bool) {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "looking up " + dnsErr.Name + ": " + dnsErr.Err, true
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return "TLS certificate not trusted (an intercepting proxy?): " + certErr.Err.Error(), true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return opErr.Error(), true
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) && urlErr.Timeout() {
		return "no answer from " + urlErr.URL + " (timeout)", true
	}
	return "", false
}
