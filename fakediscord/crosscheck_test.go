package fakediscord

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digitbot/digitbot/internal/digitbottest"
)

// TestCrossCheck_DiscordJS runs discord.js v14 (crosscheck/index.js) as an
// independent client: it logs in, gets READY, registers commands, resumes
// after a dropped connection, receives a MESSAGE_CREATE with an attachment
// it downloads from the CDN, replies
// with buttons and a file after a 429 it must wait out, and answers a button
// press with an update and an ephemeral follow-up. In CI (CI set) a missing Node fails the test.
func TestCrossCheck_DiscordJS(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node is required in CI for the discord.js cross-check: %v", err)
		}
		t.Skip("node not installed; the discord.js cross-check runs in CI (set CI=1 to make this a failure)")
	}
	dir, _ := filepath.Abs("crosscheck")
	modules, err := installDiscordJS(dir)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("installing discord.js for the cross-check: %v", err)
		}
		t.Skipf("discord.js could not be installed (%v); run with network access once, or set CI=1 to make this a failure", err)
	}

	srv := New(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "index.js", srv.baseURL, srv.Token(), DefaultChannelID)
	cmd.Dir = dir
	// index.js finds discord.js in the cache, not next to itself.
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	var stderr digitbottest.SyncBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	lines := make(chan map[string]any, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				lines <- m
			}
		}
		close(lines)
	}()
	next := func(want string) map[string]any {
		t.Helper()
		select {
		case m, ok := <-lines:
			if !ok {
				t.Fatalf("discord.js exited before %q; stderr:\n%s", want, tail(stderr.String()))
			}
			if m["event"] != want {
				t.Fatalf("discord.js said %v, want %q; stderr:\n%s", m, want, tail(stderr.String()))
			}
			return m
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %q; stderr:\n%s", want, tail(stderr.String()))
		}
		return nil
	}

	ready := next("ready")
	if ready["user"] != DefaultAppID || ready["application"] != DefaultAppID {
		t.Fatalf("ready %v", ready)
	}
	guilds := ready["guilds"].([]any)
	if len(guilds) != 1 || guilds[0].(map[string]any)["id"] != DefaultGuildID {
		t.Fatalf("discord.js guilds %v", guilds)
	}
	if cmds := srv.Commands(""); len(cmds) != 2 || cmds[1].Type != 3 || cmds[0].Options[0].Type != 11 {
		t.Fatalf("commands registered by discord.js: %+v", cmds)
	}
	info, _ := srv.Identify()
	if info.Version != "10" || !info.TokenOK {
		t.Fatalf("discord.js identify %+v", info)
	}

	// Cut the connection: discord.js must RESUME (on resume_gateway_url)
	// and get the message posted meanwhile, without a second IDENTIFY.
	srv.DropConnections()
	// discord.js's reply meets a 429 first and must wait and retry.
	srv.RateLimit("POST /channels/{id}/messages", 1, 300*time.Millisecond)
	png := tinyPNG(4, 5)
	posted, err := srv.PostMessage(MessageOptions{Content: "what digit?", MentionBot: true, Attachments: []File{{Name: "digit.png", Data: png}}})
	if err != nil {
		t.Fatal(err)
	}
	msg := next("message")
	if n := len(srv.Identifies()); n != 1 {
		t.Fatalf("discord.js identified %d times, want 1 (it should resume)", n)
	}
	rs := srv.Resumes()
	if len(rs) != 1 || !rs[0].TokenOK || rs[0].Invalid || rs[0].CloseCode != 0 {
		t.Fatalf("discord.js resumes %+v", rs)
	}
	// discord.js dials READY's resume_gateway_url to resume, as Discord asks.
	if !rs[0].ResumeURL {
		t.Errorf("discord.js resumed on the connect URL, not on resume_gateway_url %s", srv.resumeURL)
	}
	t.Logf("discord.js resumed; %d missed dispatch(es) replayed", rs[0].Replayed)
	atts := msg["attachments"].([]any)
	if msg["id"] != posted.ID || msg["mentionsBot"] != true || len(atts) != 1 {
		t.Fatalf("discord.js message %v", msg)
	}
	a := atts[0].(map[string]any)
	sum := sha256.Sum256(png)
	if a["status"].(float64) != 200 || a["sha256"] != hex.EncodeToString(sum[:]) || a["width"].(float64) != 4 || a["contentType"] != "image/png" {
		t.Fatalf("discord.js attachment %v", a)
	}

	sent := next("sent")
	id := sent["id"].(string)
	if sa := sent["attachments"].([]any); len(sa) != 1 || sa[0].(map[string]any)["description"] != "what the bot saw" {
		t.Fatalf("discord.js sent attachments %v", sa)
	}
	stored, ok := srv.Message(id)
	if !ok || len(stored.Components) != 1 || stored.MessageReference == nil || stored.MessageReference.MessageID != posted.ID {
		t.Fatalf("reply stored as %+v", stored)
	}
	if f, ok := stored.File("saw.txt"); !ok || string(f.Data) != "saw it" {
		t.Fatalf("reply file %+v", stored.Files)
	}
	var statuses []int
	for _, r := range srv.Requests() {
		if r.Route == "POST /channels/{channel_id}/messages" {
			statuses = append(statuses, r.Status)
		}
	}
	if len(statuses) != 2 || statuses[0] != 429 || statuses[1] != 200 {
		t.Fatalf("discord.js message POSTs answered %v, want [429 200]", statuses)
	}

	it, err := srv.PressButton(ButtonOptions{MessageID: id, CustomID: "wrong", Actor: Actor{Locale: "es-ES"}})
	if err != nil {
		t.Fatal(err)
	}
	got := next("interaction")
	if got["customId"] != "wrong" || got["user"] != DefaultUserID || got["locale"] != "es-ES" {
		t.Fatalf("discord.js interaction %v", got)
	}
	next("answered")
	final, err := it.WaitFinal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if final.ID != id || final.Content != "You said: wrong" || len(final.Components) != 0 {
		t.Fatalf("updated message %+v", final)
	}
	fu, err := it.WaitFollowups(ctx, 1)
	if err != nil || fu[0].Content != "thanks" || !fu[0].Ephemeral {
		t.Fatalf("follow-up %+v %v", fu, err)
	}
	next("done")
}

func tail(s string) string {
	if len(s) > 4000 {
		return "..." + s[len(s)-4000:]
	}
	return s
}

// installDiscordJS installs the cross-check's npm packages (package.json
// and package-lock.json in src) into the user's cache folder, never into
// the source tree, and returns the node_modules folder to put on
// NODE_PATH. The folder is keyed by the lock file's hash, so it is reused
// until the lock file changes; a half-finished install is never used.
// Outside CI npm does not retry, so an offline machine finds out at once.
func installDiscordJS(src string) (string, error) {
	lock, err := os.ReadFile(filepath.Join(src, "package-lock.json"))
	if err != nil {
		return "", err
	}
	pkg, err := os.ReadFile(filepath.Join(src, "package.json"))
	if err != nil {
		return "", err
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		if cache, err = os.UserCacheDir(); err != nil {
			return "", fmt.Errorf("no cache folder (set XDG_CACHE_HOME): %w", err)
		}
	}
	sum := sha256.Sum256(lock)
	dest := filepath.Join(cache, "digitbot", "crosscheck-"+hex.EncodeToString(sum[:8]))
	modules := filepath.Join(dest, "node_modules")
	if _, err := os.Stat(filepath.Join(dest, ".installed")); err == nil {
		return modules, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("npm not found: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dest), "install-")
	if os.IsNotExist(err) {
		if err = os.MkdirAll(filepath.Dir(dest), 0o755); err == nil {
			tmp, err = os.MkdirTemp(filepath.Dir(dest), "install-")
		}
	}
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	for name, data := range map[string][]byte{"package.json": pkg, "package-lock.json": lock} {
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return "", err
		}
	}
	args := []string{"ci", "--no-audit", "--no-fund"}
	if os.Getenv("CI") == "" {
		args = append(args, "--fetch-retries=0", "--fetch-timeout=30000")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, args...)
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm ci: %v: %s", err, npmReason(out))
	}
	if err := os.WriteFile(filepath.Join(tmp, ".installed"), nil, 0o644); err != nil {
		return "", err
	}
	_ = os.RemoveAll(dest)
	if err := os.Rename(tmp, dest); err != nil {
		return "", err
	}
	return modules, nil
}

// npmReason picks npm's first error line (its last one only says where
// the log is).
func npmReason(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for _, l := range lines {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "npm error") || strings.HasPrefix(l, "npm ERR!") {
			return l
		}
	}
	return strings.TrimSpace(lines[len(lines)-1])
}
