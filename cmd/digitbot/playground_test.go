package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/internal/digitbottest"
	"github.com/digitbot/digitbot/store"
)

// runningPlayground is `digitbot playground` started by a test.
type runningPlayground struct {
	url    string
	stop   context.CancelFunc
	done   chan error
	stdout *digitbottest.SyncBuffer
	stderr *digitbottest.SyncBuffer
}

var urlLine = regexp.MustCompile(`Open (http://\S+/) in your browser`)

// startPlayground runs the subcommand as a user would, on a free port, and
// waits for the URL it prints. The playground stops when the test ends.
func startPlayground(t *testing.T, args ...string) *runningPlayground {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &runningPlayground{stop: cancel, done: make(chan error, 1), stdout: &digitbottest.SyncBuffer{}, stderr: &digitbottest.SyncBuffer{}}
	go func() {
		p.done <- runPlayground(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), p.stdout, p.stderr)
	}()
	deadline := time.After(60 * time.Second)
	for p.url == "" {
		printed := p.stdout.Next()
		if m := urlLine.FindStringSubmatch(p.stdout.String()); m != nil {
			p.url = m[1]
			break
		}
		select {
		case <-printed:
		case err := <-p.done:
			cancel()
			t.Fatalf("playground exited before printing its URL: %v\nstdout: %s\nstderr: %s", err, p.stdout, p.stderr)
		case <-deadline:
			cancel()
			t.Fatalf("playground printed no URL within 60 s\nstdout: %s\nstderr: %s", p.stdout, p.stderr)
		}
	}
	t.Cleanup(func() {
		if err := p.shutdown(); err != nil {
			t.Errorf("playground shutdown: %v\nstderr: %s", err, p.stderr)
		}
	})
	return p
}

// shutdown cancels the command's context (SIGINT) and waits for it.
func (p *runningPlayground) shutdown() error {
	p.stop()
	select {
	case err, ok := <-p.done:
		if ok {
			close(p.done)
			return err
		}
		return nil
	case <-time.After(15 * time.Second):
		return context.DeadlineExceeded
	}
}

func TestPlayground_NonLoopbackAddrWithoutPublic_IsAUsageError(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", ":0", "example.com:80", "192.0.2.1:8080"} {
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), []string{"playground", "--addr", addr}, &stdout, &stderr)
		// The lead registers the subcommand in main.go; until then call it
		// directly so the rule is still checked.
		if strings.Contains(stderr.String(), "unknown command") {
			stderr.Reset()
			err := runPlayground(context.Background(), []string{"--addr", addr}, &stdout, &stderr)
			if _, ok := err.(*usageError); !ok {
				t.Fatalf("--addr %s: err = %v, want a usage error", addr, err)
			}
			if !strings.Contains(err.Error(), "--public") {
				t.Errorf("--addr %s: the error does not say how to allow it: %v", addr, err)
			}
			continue
		}
		if code != 2 || !strings.Contains(stderr.String(), "--public") {
			t.Errorf("--addr %s: exit %d, stderr %q; want 2 and a hint about --public", addr, code, stderr.String())
		}
	}
}

func TestPlayground_IsLoopbackAddr(t *testing.T) {
	t.Parallel()
	cases := map[string]bool{
		"127.0.0.1:8080": true, "localhost:1": true, "[::1]:80": true, "127.9.9.9:1": true,
		"0.0.0.0:80": false, ":80": false, "[::]:80": false, "10.0.0.1:80": false, "digitbot.example:80": false,
	}
	for addr, want := range cases {
		got, err := isLoopbackAddr(addr)
		if err != nil || got != want {
			t.Errorf("isLoopbackAddr(%q) = %v, %v; want %v", addr, got, err, want)
		}
	}
	if _, err := isLoopbackAddr("no-port"); err == nil {
		t.Error("an address without a port was accepted")
	}
}

func TestPlayground_Public_WarnsAndServes(t *testing.T) {
	t.Parallel()
	p := startPlayground(t, "--addr", "0.0.0.0:0", "--public")
	if !strings.Contains(p.stderr.String(), "WARNING") {
		t.Errorf("no warning for a public address; stderr: %s", p.stderr)
	}
	if !strings.HasPrefix(p.url, "http://127.0.0.1:") {
		t.Errorf("URL to open = %q, want the loopback address of the wildcard listener", p.url)
	}
	res, err := http.Get(p.url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("GET / = %d", res.StatusCode)
	}
}

// sseReader reads one user's live stream.
type sseReader struct {
	events chan [2]string // name, data
}

func openStream(t *testing.T, url, user string) *sseReader {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"api/events?user="+user, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("GET /api/events = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	r := &sseReader{events: make(chan [2]string, 64)}
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var name string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				select {
				case r.events <- [2]string{name, strings.TrimPrefix(line, "data: ")}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return r
}

// next waits for an event whose data matches.
func (r *sseReader) next(t *testing.T, name string, match func(data string) bool) string {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case e := <-r.events:
			if e[0] == name && match(e[1]) {
				return e[1]
			}
		case <-timeout:
			t.Fatalf("no %q event matching within 15 s", name)
		}
	}
}

func postImage(t *testing.T, url, user, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("user", user)
	fw, _ := mw.CreateFormFile("file", filepath.Base(path))
	_, _ = fw.Write(data)
	mw.Close()
	res, err := http.Post(url+"api/messages", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/messages = %d %s", res.StatusCode, b)
	}
	var out struct {
		Message struct{ ID string } `json:"message"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Message.ID == "" {
		t.Fatalf("POST /api/messages answer %s: %v", b, err)
	}
	return out.Message.ID
}

func postJSON(t *testing.T, url string, v any) (int, string) {
	t.Helper()
	b, _ := json.Marshal(v)
	res, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out)
}

// The real bot behind the command: an MNIST picture posted through the
// page's API gets the bot's answer live, the right button saves an
// evaluation in the --db file, and the file holds it after shutdown.
func TestPlayground_RealBot_AnswersAndStoresEvaluations(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "pg.db")
	p := startPlayground(t, "--db", db)
	ana := openStream(t, p.url, "ana")
	ana.next(t, "ready", func(string) bool { return true })

	posted := postImage(t, p.url, "ana", filepath.Join("..", "..", "bot", "testdata", "digit-3.png"))
	reply := ana.next(t, "message", func(d string) bool {
		return strings.Contains(d, `"replyTo":{"id":"`+posted+`"`) && strings.Contains(d, `"customId":"eval:`)
	})
	var ev struct {
		Message struct {
			ID         string
			Embeds     []struct{ Title, Thumbnail string }
			Components [][]struct {
				CustomID string `json:"customId"`
				Disabled bool
			}
		}
	}
	if err := json.Unmarshal([]byte(reply), &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Message.Embeds) == 0 || !strings.HasSuffix(ev.Message.Embeds[0].Title, ": 3") {
		t.Fatalf("the bot's reply does not predict 3: %s", reply)
	}
	if !strings.HasPrefix(ev.Message.Embeds[0].Thumbnail, "/files/") {
		t.Errorf("the \"what I saw\" image is not served by the playground: %q", ev.Message.Embeds[0].Thumbnail)
	}
	res, err := http.Get(strings.TrimSuffix(p.url, "/") + ev.Message.Embeds[0].Thumbnail)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" {
		t.Errorf("GET what-I-saw = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var three string
	for _, row := range ev.Message.Components {
		for _, b := range row {
			if strings.HasSuffix(b.CustomID, ":3") {
				three = b.CustomID
			}
		}
	}
	code, body := postJSON(t, p.url+"api/buttons", map[string]string{"user": "ana", "messageId": ev.Message.ID, "customId": three})
	if code != http.StatusAccepted {
		t.Fatalf("pressing 3 = %d %s", code, body)
	}
	ana.next(t, "message", func(d string) bool {
		return strings.Contains(d, `"id":"`+ev.Message.ID+`"`) && strings.Contains(d, "✅") && !strings.Contains(d, `"disabled":false`)
	})

	if err := p.shutdown(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	st, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("reopening the playground's database: %v", err)
	}
	defer st.Close()
	stats, err := st.Stats(context.Background(), digitbot.Scope{UserID: "1300000000000000002"})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Total != 1 || stats.Hits != 1 {
		t.Errorf("stored stats = %d evaluations, %d right; want 1, 1", stats.Total, stats.Hits)
	}
}

func TestPlayground_Lang_SetsTheServerLanguage(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if err := runPlayground(context.Background(), []string{"--lang", "fr"}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "en or es") {
		t.Errorf("--lang fr: %v, want a usage error naming en and es", err)
	}
	p := startPlayground(t, "--lang", "es")
	res, err := http.Get(p.url + "api/state")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), `"defaultLocale":"es-ES"`) {
		t.Errorf("state does not start the page in Spanish: %s", b)
	}
	ana := openStream(t, p.url, "ana")
	ana.next(t, "ready", func(string) bool { return true })
	posted := postImage(t, p.url, "ana", filepath.Join("..", "..", "bot", "testdata", "digit-2.png"))
	reply := ana.next(t, "message", func(d string) bool { return strings.Contains(d, `"replyTo":{"id":"`+posted+`"`) })
	if !strings.Contains(reply, "Predicción") {
		t.Errorf("the reply to a posted image is not in the server's language (es): %s", reply)
	}
}

func TestPlayground_BusyPort_SuggestsAddr(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"playground", "--addr", busy.Addr().String()}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "already in use") || !strings.Contains(stderr.String(), "--addr") {
		t.Fatalf("exit %d, stderr %q; want 1 and a hint to pick another --addr", code, stderr.String())
	}
}
