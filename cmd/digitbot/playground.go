package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot/config"
	"github.com/digitbot/digitbot/fakediscord"
	"github.com/digitbot/digitbot/playground"
)

// playgroundShutdownTimeout bounds the wait for open pages when stopping.
const playgroundShutdownTimeout = 2 * time.Second

// runPlayground is `digitbot playground [--addr HOST:PORT] [--db FILE] [--public]`:
// the real bot, wired by the same Runner as `digitbot run`, connected to
// the in-repo Discord-compatible server, with a web page to use it.
func runPlayground(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("playground", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "`host:port` the page is served on (port 0 picks a free one)")
	dbPath := fs.String("db", "", "database `file` to keep evaluations in (default: a temporary file deleted on exit)")
	public := fs.Bool("public", false, "allow an --addr other machines can reach (there are no accounts: anyone who can reach it can use it)")
	lang := fs.String("lang", "en", "the server's language, `en or es`: replies to posted images use it (commands follow each user's language switch)")
	verbose := fs.Bool("verbose", false, "log the bot's info lines (default: warnings and errors only)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: digitbot playground [--addr 127.0.0.1:8080] [--db FILE] [--public] [--lang en|es]\n\n"+
			"Runs the real bot against a built-in Discord-compatible server and serves a page\n"+
			"where you can draw digits, post images and use every command: no Discord account needed.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if !validLang(*lang) {
		return usagef("--lang %q: use en or es", *lang)
	}
	loopback, err := isLoopbackAddr(*addr)
	if err != nil {
		return usagef("--addr %q: %v", *addr, err)
	}
	if !loopback && !*public {
		return usagef("--addr %s can be reached from other machines; the playground has no accounts, so add --public if that is what you want", *addr)
	}

	// Listen first: a busy port fails at once, before the model loads.
	ln, err := net.Listen("tcp", *addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return &exitError{code: 1, msg: fmt.Sprintf("digitbot playground: %s is already in use (a playground already running?): pick another port with --addr, e.g. --addr 127.0.0.1:8081, or --addr 127.0.0.1:0 for any free one", *addr)}
	}
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *addr, err)
	}
	defer ln.Close()

	db := *dbPath
	if db == "" {
		dir, err := os.MkdirTemp("", "digitbot-playground-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		db = filepath.Join(dir, "playground.db")
	}

	level := "warn"
	if *verbose {
		level = "info"
	}
	srv, err := fakediscord.NewServer(playground.ServerOptions(nil))
	if err != nil {
		return fmt.Errorf("starting the built-in Discord server: %w", err)
	}
	defer srv.Close()

	// The same Runner as `digitbot run`, with the production defaults; only
	// where Discord is and what a self-hoster would configure differ.
	cfg := config.Default()
	cfg.Token = srv.Token()
	cfg.DatabasePath = db
	cfg.WatchedChannels = []string{playground.ChannelID}
	cfg.MessageContentIntent = true
	cfg.AdminAddr = "" // no /metrics port: a second bot on the machine keeps its own
	cfg.BackupDir = ""
	cfg.DefaultLocale = *lang
	cfg.LogFormat = "text"
	cfg.LogLevel = level
	m := NewRunner()
	m.Config, m.HaveConfig = cfg, true
	m.LogOutput = stderr
	m.HTTPClient = srv.HTTPClient() // attachments come from the built-in CDN
	// The built-in Discord lists only the playground's server: a --db
	// written by the real bot must not see its real servers purged.
	m.KeepMissingGuilds = true
	m.NewSession = func(token string) (*discordgo.Session, error) {
		dg, err := discordgo.New("Bot " + token)
		if err != nil {
			return nil, err
		}
		srv.Configure(dg)
		return dg, nil
	}
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	defer m.Close()

	var hosts []string
	if !*public {
		hosts = loopbackHosts(ln.Addr())
	}
	pg, err := playground.New(playground.Options{
		Server: srv, MaxUploadBytes: cfg.MaxImageBytes, DefaultLocale: *lang, Logger: m.Logger.With("component", "playground"),
		AllowedHosts: hosts,
	})
	if err != nil {
		return err
	}
	httpSrv := &http.Server{
		Handler:           pg,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()

	url := pageURL(ln.Addr())
	fmt.Fprintf(stdout, "digitbot playground is running: the real bot on a built-in Discord server.\n")
	if *dbPath == "" {
		fmt.Fprintf(stdout, "Evaluations go to a temporary database, deleted on exit (keep them with --db FILE).\n")
	} else {
		fmt.Fprintf(stdout, "Evaluations are kept in %s.\n", db)
	}
	if !loopback {
		fmt.Fprintf(stderr, "WARNING: the playground listens on %s and can be reached from other machines; anyone who reaches it can post and see everything in it.\n", ln.Addr())
	}
	fmt.Fprintf(stdout, "Open %s in your browser. Press Ctrl-C to stop.\n", url)

	var runErr error
	select {
	case <-ctx.Done():
		m.Logger.Info("signal received; stopping the playground")
	case err := <-served:
		runErr = fmt.Errorf("serving the page: %w", err)
	case err := <-m.Bot.Fatal():
		runErr = err
	}
	// Stop in order: the pages' streams, the page server, then (deferred)
	// the bot and its database, then the built-in Discord.
	pg.Close()
	sctx, cancel := context.WithTimeout(context.Background(), playgroundShutdownTimeout)
	defer cancel()
	if err := httpSrv.Shutdown(sctx); err != nil && runErr == nil {
		runErr = fmt.Errorf("stopping the page server: %w", err)
	}
	if err := m.Close(); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

// isLoopbackAddr reports whether host:port only accepts connections from
// this machine.
func isLoopbackAddr(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	if strings.EqualFold(host, "localhost") {
		return true, nil
	}
	if host == "" {
		return false, nil // all interfaces
	}
	ip := net.ParseIP(host)
	if ip == nil {
		// A name other than localhost may resolve anywhere.
		return false, nil
	}
	return ip.IsLoopback(), nil
}

// pageURL is the address to open: a wildcard listener is opened through
// the loopback address.
func pageURL(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return "http://" + a.String() + "/"
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(tcp.Port)) + "/"
}

// loopbackHosts are the Host headers a browser sends for a page listening
// on the loopback address a: the address itself and localhost, with its
// port. Any other name pointing at it would be a DNS-rebinding attack.
func loopbackHosts(a net.Addr) []string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return []string{a.String()}
	}
	port := fmt.Sprint(tcp.Port)
	return []string{
		net.JoinHostPort(tcp.IP.String(), port),
		net.JoinHostPort("localhost", port),
		net.JoinHostPort("127.0.0.1", port),
		net.JoinHostPort("::1", port),
	}
}
