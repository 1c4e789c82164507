package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot/admin"
	"github.com/digitbot/digitbot/config"
	"github.com/digitbot/digitbot/fakediscord"
	"github.com/digitbot/digitbot/internal/digitbottest"
	"github.com/digitbot/digitbot/store"
)

// unsetenv removes variables for one test, restoring them afterwards.
func unsetenv(t *testing.T, names ...string) {
	for _, n := range names {
		t.Setenv(n, "") // registers the restore
		os.Unsetenv(n)
	}
}

func TestRun_NoToken_ExitsTwoNamingTheVariables(t *testing.T) {
	unsetenv(t, "DIGITBOT_TOKEN", "DIGITBOT_TOKEN_FILE", "DIGITBOT_DATABASE")
	t.Chdir(t.TempDir())
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"run"}, &stdout, &stderr)
	if code != 2 {
		t.Fatalf("exit status = %d, want 2; stderr: %s", code, stderr.String())
	}
	for _, want := range []string{"DIGITBOT_TOKEN", "DIGITBOT_TOKEN_FILE"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not name %s: %q", want, stderr.String())
		}
	}
	if _, err := os.Stat("digitbot.db"); err == nil {
		t.Error("a database file was created although the bot could not start")
	}
}

func TestRun_BadConfigValue_ExitsTwoNamingTheKey(t *testing.T) {
	unsetenv(t, "DIGITBOT_TOKEN_FILE")
	t.Setenv("DIGITBOT_TOKEN", "Bot abc")
	dir := t.TempDir()
	path := filepath.Join(dir, "digitbot.toml")
	if err := os.WriteFile(path, []byte("threshold = 1.5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"run", "--config", path}, &stdout, &stderr)
	if code != 2 {
		t.Fatalf("exit status = %d, want 2; stderr: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "threshold") {
		t.Errorf("stderr does not name the bad key: %q", stderr.String())
	}
	if strings.Contains(stderr.String(), "abc") {
		t.Errorf("stderr leaks the token: %q", stderr.String())
	}
}

func TestRun_UnexpectedArgument_IsAUsageError(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"run", "extra"}, &stdout, &stderr); code != 2 {
		t.Fatalf("exit status = %d, want 2", code)
	}
}

// newTestRunner wires a Runner to an in-process Discord.
func newTestRunner(t *testing.T, srv *fakediscord.Server, token string) (*Runner, *digitbottest.SyncBuffer) {
	t.Helper()
	cfg := config.Default()
	cfg.Token = token
	cfg.DatabasePath = filepath.Join(t.TempDir(), "digitbot.db")
	cfg.AdminAddr = "127.0.0.1:0"
	cfg.DevGuildID = fakediscord.DefaultGuildID
	cfg.WatchedChannels = []string{fakediscord.DefaultChannelID}
	cfg.Workers = 2
	logs := &digitbottest.SyncBuffer{}
	r := NewRunner()
	r.Config, r.HaveConfig = cfg, true
	r.LogOutput = logs
	r.HTTPClient = srv.HTTPClient()
	r.NewSession = func(token string) (*discordgo.Session, error) {
		s, err := discordgo.New("Bot " + token)
		if err == nil {
			srv.Configure(s)
		}
		return s, err
	}
	return r, logs
}

func TestRunner_RunsTheWholeBot_HealthyAnswersAndShutsDownInOrder(t *testing.T) {
	t.Parallel()
	srv := fakediscord.New(t, fakediscord.Options{MessageContentAllowed: true})
	r, logs := newTestRunner(t, srv, srv.Token())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.Run(ctx); err != nil {
		r.Close()
		t.Fatalf("Run: %v\n%s", err, logs.String())
	}
	if err := admin.CheckHealth(ctx, r.Admin.Addr()); err != nil {
		t.Errorf("/healthz after start: %v", err)
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "bot", "testdata", "digit-7.png"))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := srv.PostMessage(fakediscord.MessageOptions{Attachments: []fakediscord.File{{Name: "seven.png", Data: data}}})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := srv.WaitMessage(ctx, func(m *fakediscord.Message) bool {
		return m.MessageReference != nil && m.MessageReference.MessageID == msg.ID
	})
	if err != nil {
		t.Fatalf("no reply: %v\n%s", err, logs.String())
	}
	if len(reply.Embeds) != 1 || !strings.HasPrefix(reply.Embeds[0].Description, "# 7") {
		t.Errorf("reply: %+v", reply.Message)
	}
	metrics, err := http.Get("http://" + r.Admin.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(metrics.Body)
	metrics.Body.Close()
	if !strings.Contains(string(body), "confident") {
		t.Errorf("/metrics does not count the prediction:\n%.2000s", body)
	}

	start := time.Now()
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("shutdown took %s, over 8 s", d)
	}
	// The store was closed: another process could open the file now.
	db, err := store.Open(r.Config.DatabasePath, store.Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Errorf("database still locked after Close: %v", err)
	} else {
		db.Close()
	}
	out := logs.String()
	if strings.Contains(out, srv.Token()) {
		t.Errorf("the token appears in the logs")
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON: %q", line)
		}
	}
}

func TestRunner_BadToken_FailsClearlyWithoutRetrying(t *testing.T) {
	t.Parallel()
	srv := fakediscord.New(t, fakediscord.Options{MessageContentAllowed: true})
	r, logs := newTestRunner(t, srv, "wrong-token")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	err := r.Run(ctx)
	r.Close()
	if err == nil {
		t.Fatal("Run succeeded with a bad token")
	}
	if !strings.Contains(err.Error(), "reset the bot token") {
		t.Errorf("error does not say what to fix: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s", d)
	}
	if strings.Contains(logs.String(), "wrong-token") || strings.Contains(err.Error(), "wrong-token") {
		t.Errorf("the token was logged or shown")
	}
}

func TestRunner_ShardConfig_IsSentInIdentify(t *testing.T) {
	t.Parallel()
	srv := fakediscord.New(t, fakediscord.Options{MessageContentAllowed: true})
	r, logs := newTestRunner(t, srv, srv.Token())
	one := 1
	r.Config.ShardID, r.Config.ShardCount = &one, config.ShardCount{N: 2}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.Run(ctx); err != nil {
		r.Close()
		t.Fatalf("Run: %v\n%s", err, logs.String())
	}
	defer r.Close()
	id, ok := srv.Identify()
	if !ok || id.Shard == nil || *id.Shard != [2]int{1, 2} {
		t.Fatalf("IDENTIFY shard = %v (ok %v), want [1 2]", id.Shard, ok)
	}
}

// failingTransport fails every request the way a machine without network
// does.
type failingTransport struct{ err error }

func (f failingTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, f.err }

func TestRunner_NoNetwork_SaysSoAndLeavesNoDatabase(t *testing.T) {
	t.Parallel()
	srv := fakediscord.New(t, fakediscord.Options{})
	r, logs := newTestRunner(t, srv, srv.Token())
	noDNS := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "discord.com", IsNotFound: true}}
	r.NewSession = func(token string) (*discordgo.Session, error) {
		s, err := discordgo.New("Bot " + token)
		if err == nil {
			s.Client = &http.Client{Transport: failingTransport{noDNS}}
		}
		return s, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := r.Run(ctx)
	r.Close()
	if err == nil {
		t.Fatal("Run succeeded without a network")
	}
	if !strings.Contains(err.Error(), "cannot reach Discord (DNS/network/proxy?)") || !strings.Contains(err.Error(), "discord.com") {
		t.Errorf("error %q does not say Discord is unreachable\n%s", err, logs.String())
	}
	if _, serr := os.Stat(r.Config.DatabasePath); serr == nil {
		t.Errorf("%s was left behind by a start that never connected", r.Config.DatabasePath)
	}
}

func TestRunner_ExistingDatabase_IsKeptWhenDiscordIsUnreachable(t *testing.T) {
	t.Parallel()
	srv := fakediscord.New(t, fakediscord.Options{})
	r, _ := newTestRunner(t, srv, srv.Token())
	db, err := store.Open(r.Config.DatabasePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	r.NewSession = func(token string) (*discordgo.Session, error) {
		s, err := discordgo.New("Bot " + token)
		if err == nil {
			s.Client = &http.Client{Transport: failingTransport{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}}
		}
		return s, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.Run(ctx); err == nil {
		t.Fatal("Run succeeded without a network")
	}
	r.Close()
	if _, err := os.Stat(r.Config.DatabasePath); err != nil {
		t.Errorf("the existing database is gone: %v", err)
	}
}

func TestRunner_AdminPortBusy_SuggestsTheSetting(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	srv := fakediscord.New(t, fakediscord.Options{})
	r, _ := newTestRunner(t, srv, srv.Token())
	r.Config.AdminAddr = busy.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = r.Run(ctx)
	r.Close()
	if err == nil || !strings.Contains(err.Error(), "DIGITBOT_ADMIN_ADDR") || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("error %v does not say the port is busy and which setting to change", err)
	}
}
