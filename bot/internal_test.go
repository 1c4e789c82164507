package bot

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
	"github.com/gorilla/websocket"
)

var verb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

func TestCatalog_EveryMessageHasEnglishAndSpanishWithTheSameVerbs(t *testing.T) {
	t.Parallel()
	for id, tx := range catalog {
		en, es := tx[langEN], tx[langES]
		if strings.TrimSpace(en) == "" || strings.TrimSpace(es) == "" {
			t.Errorf("%s: missing a language: en=%q es=%q", id, en, es)
			continue
		}
		if a, b := verb.FindAllString(en, -1), verb.FindAllString(es, -1); strings.Join(a, " ") != strings.Join(b, " ") {
			t.Errorf("%s: verbs differ: en %v, es %v", id, a, b)
		}
	}
}

func TestCatalog_EveryIDTheCodeUsesExists(t *testing.T) {
	t.Parallel()
	// Every l.t("…") and msgID literal in the package's source.
	re := regexp.MustCompile(`\.t\("([a-z_.]+)"|desc\("([a-z_.]+)"\)|, "(cmd\.[a-z_.]+)"`)
	files := []string{"bot.go", "commands.go", "images.go", "interactions.go", "predict.go", "user.go", "info.go", "render.go", "numbers.go"}
	seen := 0
	for _, f := range files {
		src, err := readFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(src, -1) {
			id := m[1] + m[2] + m[3]
			seen++
			if _, ok := catalog[msgID(id)]; !ok {
				t.Errorf("%s uses message %q, which is not in the catalog", f, id)
			}
		}
	}
	if seen < 50 {
		t.Errorf("found only %d message uses: the pattern is broken", seen)
	}
}

func TestParseLang_SpanishLocalesAreSpanish(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]lang{"es-ES": langES, "es-419": langES, "es": langES, "ES": langES, "en-US": langEN, "fr": langEN, "": langEN, "est": langEN} {
		if got := parseLang(in); got != want {
			t.Errorf("parseLang(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestLang_Pct_FollowsEachLanguage(t *testing.T) {
	t.Parallel()
	if got := langEN.pct(0.934); got != "93.4%" {
		t.Errorf("en: %q", got)
	}
	if got := langES.pct(0.934); got != "93,4 %" {
		t.Errorf("es: %q", got)
	}
}

func TestLang_Group_UsesEachLanguagesSeparator(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 218490: "218,490", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := langEN.group(n); got != want {
			t.Errorf("en group(%d) = %q, want %q", n, got, want)
		}
	}
	if got := langES.group(218490); got != "218.490" {
		t.Errorf("es group = %q", got)
	}
}

func TestEvalCustomID_RoundTrips(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"abc", "0123456789abcdef", "with:colon"} {
		for d := 0; d <= 9; d++ {
			pid, digit, err := parseEvalCustomID(evalCustomID(id, d))
			if err != nil || pid != id || digit != d {
				t.Errorf("round trip of (%q, %d) = (%q, %d, %v)", id, d, pid, digit, err)
			}
		}
	}
}

func TestParseEvalCustomID_RejectsMalformed(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "eval", "eval:", "eval:abc", "eval::3", "eval:abc:10", "eval:abc:-1", "eval:abc:x", "forget:abc:3", "eval:abc:07"} {
		if _, _, err := parseEvalCustomID(bad); err == nil {
			t.Errorf("parseEvalCustomID(%q) accepted", bad)
		}
	}
}

func TestEvalButtons_TwoRowsOfFive_PredictedHighlighted_IDsWithinLimit(t *testing.T) {
	t.Parallel()
	rows, err := evalButtons("0123456789abcdef", 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	d := 0
	for _, r := range rows {
		row := r.(discordgo.ActionsRow)
		if len(row.Components) != 5 {
			t.Fatalf("row of %d", len(row.Components))
		}
		for _, c := range row.Components {
			b := c.(discordgo.Button)
			if (d == 4) != (b.Style == discordgo.PrimaryButton) {
				t.Errorf("button %d style %d", d, b.Style)
			}
			if len(b.CustomID) > maxCustomID {
				t.Errorf("custom_id too long: %d", len(b.CustomID))
			}
			d++
		}
	}
	if _, err := evalButtons(strings.Repeat("x", 95), 1); err == nil {
		t.Errorf("an id that makes custom_id longer than 100 was accepted")
	}
}

func TestSeenPNG_IsTheInputScaledUpPixelForPixel(t *testing.T) {
	t.Parallel()
	var in [digitbot.InputSide * digitbot.InputSide]uint8
	in[0] = 255                                   // top-left
	in[27*28+27] = 128                            // bottom-right
	data, err := seenPNG(newSeenEncoder(), in, 8) // 224x224
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 224 || b.Dy() != 224 {
		t.Fatalf("size %v", b)
	}
	grey := func(x, y int) uint32 { r, _, _, _ := img.At(x, y).RGBA(); return r >> 8 }
	if grey(0, 0) != 255 || grey(7, 7) != 255 || grey(8, 8) != 0 || grey(223, 223) != 128 || grey(216, 216) != 128 || grey(215, 215) != 0 {
		t.Errorf("pixels: (0,0)=%d (7,7)=%d (8,8)=%d (223,223)=%d (216,216)=%d (215,215)=%d",
			grey(0, 0), grey(7, 7), grey(8, 8), grey(223, 223), grey(216, 216), grey(215, 215))
	}
}

func TestPredictionEmbed_RedAndUnsureBelowThreshold(t *testing.T) {
	t.Parallel()
	p := digitbot.Prediction{ID: "x", Digit: 3, Confidence: 0.55, Probabilities: [10]float64{3: 0.55, 5: 0.30, 8: 0.10}}
	e := predictionEmbed(langEN, p, 0.70, "seen-1.png")
	if e.Color != colorUnsure || !strings.Contains(e.Description, "not sure") || !strings.Contains(e.Description, "70.0%") {
		t.Errorf("unsure embed: colour %#x, %q", e.Color, e.Description)
	}
	if next := e.Fields[1].Value; !strings.Contains(next, "**5** · 30.0%") || !strings.Contains(next, "**8** · 10.0%") || strings.Index(next, "**5**") > strings.Index(next, "**8**") {
		t.Errorf("next candidates: %q", next)
	}
	p.Confidence = 0.70
	if e := predictionEmbed(langEN, p, 0.70, "seen-1.png"); e.Color != colorConfident {
		t.Errorf("at the threshold the answer should be green: %#x", e.Color)
	}
}

func TestCanManageGuild_UsesTheInteractionsPermissions(t *testing.T) {
	t.Parallel()
	mk := func(perms int64, guild bool) *call {
		i := &discordgo.Interaction{}
		if guild {
			i.GuildID = "1"
			i.Member = &discordgo.Member{User: &discordgo.User{ID: "u"}, Permissions: perms}
		} else {
			i.User = &discordgo.User{ID: "u"}
		}
		return &call{i: i}
	}
	cases := []struct {
		perms int64
		guild bool
		want  bool
	}{
		{discordgo.PermissionManageGuild, true, true},
		{discordgo.PermissionAdministrator, true, true},
		{discordgo.PermissionSendMessages | discordgo.PermissionManageMessages, true, false},
		{0, true, false},
		{discordgo.PermissionManageGuild, false, false}, // DMs have no member
	}
	for _, c := range cases {
		if got := mk(c.perms, c.guild).canManageGuild(); got != c.want {
			t.Errorf("perms %#x guild %v: %v, want %v", c.perms, c.guild, got, c.want)
		}
	}
}

func TestUserLimits_BurstThenRefuse_WarnOnce_RefillAndSweep(t *testing.T) {
	t.Parallel()
	u := newUserLimits(6, 2) // one every 10 s, burst 2
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 2; i++ {
		if ok, _, _ := u.allow("a", t0); !ok {
			t.Fatalf("request %d refused within the burst", i)
		}
	}
	ok, retry, warn := u.allow("a", t0)
	if ok || !warn || retry != 10*time.Second {
		t.Errorf("third: ok=%v retry=%s warn=%v", ok, retry, warn)
	}
	if ok, _, warn := u.allow("a", t0.Add(time.Second)); ok || warn {
		t.Errorf("fourth: ok=%v warn=%v, want refused silently", ok, warn)
	}
	if ok, _, _ := u.allow("b", t0); !ok {
		t.Errorf("another user was limited")
	}
	if ok, _, _ := u.allow("a", t0.Add(10*time.Second)); !ok {
		t.Errorf("no token after 10 s")
	}
	// Long idle: entries are dropped on the next sweep.
	u.allow("c", t0.Add(time.Hour))
	if n := u.size(); n != 1 {
		t.Errorf("%d users tracked after an hour idle, want 1", n)
	}
	if ok, _, _ := newUserLimits(0, 0).allow("a", t0); !ok {
		t.Errorf("a zero rate should mean no limit")
	}
}

func TestPool_AdmitsWorkersPlusQueue_ThenRefuses(t *testing.T) {
	t.Parallel()
	p := newPool(1, 2)
	for i := 0; i < 3; i++ {
		if !p.enter() {
			t.Fatalf("admission %d refused", i)
		}
	}
	if p.enter() {
		t.Fatal("a fourth job was admitted into a pool of 1 worker + 2 queued")
	}
	p.leave()
	if !p.enter() {
		t.Fatal("a place freed by leave was not reusable")
	}
	ctx, cancel := context.WithCancel(context.Background())
	block, running := make(chan struct{}), make(chan struct{})
	go p.do(context.Background(), func() { close(running); <-block })
	<-running // the only worker is busy
	cancel()
	if err := p.do(ctx, func() { t.Error("ran without a free worker") }); !errors.Is(err, context.Canceled) {
		t.Errorf("do with a cancelled context = %v", err)
	}
	close(block)
}

func TestFetcher_OnlyHTTPSFromDiscordsHosts(t *testing.T) {
	t.Parallel()
	f := newFetcher(nil, DefaultAllowedHosts(), 1<<20, 1<<20, time.Second)
	good := []string{"https://cdn.discordapp.com/attachments/1/2/a.png?ex=1", "https://CDN.discordapp.com:443/x"}
	bad := []string{"http://cdn.discordapp.com/a.png", "https://evil.example/a.png", "https://cdn.discordapp.com.evil.example/a.png",
		"https://user:pw@cdn.discordapp.com/a.png", "https://cdn.discordapp.com:8443/a.png", "file:///etc/passwd", "https://127.0.0.1/a.png",
		// The media proxy serves proxy_url only, never an original.
		"https://media.discordapp.net/attachments/1/2/a.png"}
	for _, s := range good {
		u, _ := url.Parse(s)
		if err := checkURL(u, f.hosts); err != nil {
			t.Errorf("%s refused: %v", s, err)
		}
	}
	for _, s := range bad {
		u, _ := url.Parse(s)
		if err := checkURL(u, f.hosts); err == nil {
			t.Errorf("%s allowed", s)
		}
	}
	// proxy_url: only the media proxy.
	for s, want := range map[string]bool{
		"https://media.discordapp.net/attachments/1/2/a.png?width=10": true,
		"https://cdn.discordapp.com/attachments/1/2/a.png":            false,
		"http://media.discordapp.net/attachments/1/2/a.png":           false,
	} {
		u, _ := url.Parse(s)
		if err := checkURL(u, f.proxyHosts); (err == nil) != want {
			t.Errorf("proxy_url %s: allowed %v, want %v", s, err == nil, want)
		}
	}
}

// hostRewrite sends every request to a local test server, keeping the URL
// the fetcher asked for in the Host.
type hostRewrite struct{ target *url.URL }

func (h hostRewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host = h.target.Scheme, h.target.Host
	r2.Host = r.URL.Host
	return http.DefaultTransport.RoundTrip(r2)
}

func TestFetcher_RedirectAwayFromDiscord_IsRefused_AndNoTokenIsSent(t *testing.T) {
	t.Parallel()
	var sawAuth bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			sawAuth = true
		}
		switch r.URL.Path {
		case "/redirect-away":
			http.Redirect(w, r, "https://evil.example/x.png", http.StatusFound)
		case "/redirect-inside":
			http.Redirect(w, r, "https://cdn.discordapp.com/ok.png", http.StatusFound)
		case "/redirect-to-proxy":
			http.Redirect(w, r, "https://media.discordapp.net/ok.png", http.StatusFound)
		case "/big":
			w.Write(bytes.Repeat([]byte("x"), 2000))
		default:
			w.Write([]byte("image bytes"))
		}
	}))
	defer srv.Close()
	target, _ := url.Parse(srv.URL)
	f := newFetcher(&http.Client{Transport: hostRewrite{target}}, DefaultAllowedHosts(), 1000, 0, 5*time.Second)
	att := func(path string) *discordgo.MessageAttachment {
		return &discordgo.MessageAttachment{ID: "1", Filename: "a.png", URL: "https://cdn.discordapp.com" + path}
	}
	ctx := context.Background()
	if _, err := f.fetch(ctx, att("/redirect-away")); digitbot.ErrorCode(err) != digitbot.EFORBIDDEN {
		t.Errorf("redirect away: %v, want EFORBIDDEN", err)
	}
	if dl, err := f.fetch(ctx, att("/redirect-inside")); err != nil || string(dl.data) != "image bytes" {
		t.Errorf("redirect inside Discord: %q, %v", dl.data, err)
	}
	if _, err := f.fetch(ctx, att("/redirect-to-proxy")); digitbot.ErrorCode(err) != digitbot.EFORBIDDEN {
		t.Errorf("an original redirected to the media proxy: %v, want EFORBIDDEN", err)
	}
	if _, err := f.fetch(ctx, att("/big")); digitbot.ErrorCode(err) != digitbot.ETOOLARGE {
		t.Errorf("over the byte cap: %v, want ETOOLARGE", err)
	}
	tooBig := att("/ok")
	tooBig.Size = 5000
	if _, err := f.fetch(ctx, tooBig); digitbot.ErrorCode(err) != digitbot.ETOOLARGE {
		t.Errorf("declared size over the cap: %v", err)
	}
	pdf := att("/ok")
	pdf.ContentType = "application/pdf"
	if _, err := f.fetch(ctx, pdf); digitbot.ErrorCode(err) != digitbot.EUNSUPPORTED {
		t.Errorf("a PDF: %v, want EUNSUPPORTED", err)
	}
	if sawAuth {
		t.Error("an Authorization header reached the attachment host")
	}
}

func TestGatewayError_FinalCloseCodesNameTheFix(t *testing.T) {
	t.Parallel()
	var ge *GatewayError
	if err := gatewayError(&websocket.CloseError{Code: 4004}); !errors.As(err, &ge) || !strings.Contains(ge.Fix, "Reset Token") {
		t.Errorf("4004: %v", err)
	}
	if err := gatewayError(&websocket.CloseError{Code: 4014}); !errors.As(err, &ge) || !strings.Contains(ge.Fix, "message_content_intent = false") {
		t.Errorf("4014: %v", err)
	}
	if err := gatewayError(&websocket.CloseError{Code: 1006}); errors.As(err, &ge) {
		t.Errorf("an abnormal closure is not final: %v", err)
	}
	rest := &discordgo.RESTError{Response: &http.Response{StatusCode: http.StatusUnauthorized}}
	if err := gatewayError(rest); !errors.As(err, &ge) {
		t.Errorf("401 on REST: %v", err)
	}
}

func TestNew_RefusesTheSessionClientForDownloads(t *testing.T) {
	t.Parallel()
	s, _ := discordgo.New("Bot x")
	render := func(digitbot.Stats, ChartRequest) ([]byte, error) { return nil, nil }
	_, err := New(Options{Session: s, Classifier: nopClassifier{}, Store: nopStore{}, Render: render, HTTPClient: s.Client})
	if err == nil || !strings.Contains(err.Error(), "session's client") {
		t.Fatalf("New with the session's client for downloads = %v", err)
	}
	if _, err := New(Options{Session: s, Classifier: nopClassifier{}, Store: nopStore{}, Render: render}); err != nil {
		t.Fatalf("New with its own download client: %v", err)
	}
}

// nopStore satisfies digitbot.Store for tests that never reach it.
type nopStore struct{ digitbot.Store }

type nopClassifier struct{}

func (nopClassifier) Classify(context.Context, []byte) (digitbot.Prediction, error) {
	return digitbot.Prediction{}, nil
}
func (nopClassifier) Card() digitbot.ModelCard { return digitbot.ModelCard{} }

func readFile(name string) (string, error) {
	b, err := os.ReadFile(name)
	return string(b), err
}

func BenchmarkSeenPNG(b *testing.B) {
	var in [digitbot.InputSide * digitbot.InputSide]uint8
	for i := range in {
		if (i/28-14)*(i/28-14)+(i%28-14)*(i%28-14) < 60 {
			in[i] = uint8(100 + i%150)
		}
	}
	enc := newSeenEncoder()
	for b.Loop() {
		if _, err := seenPNG(enc, in, seenScale); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAttachmentRef(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://cdn.discordapp.com/attachments/1/2/seen-1.png?ex=1&is=2&hm=3&":  "attachment://seen-1.png",
		"https://media.discordapp.net/ephemeral-attachments/1/2/seen-2.png?ex=1": "attachment://seen-2.png",
		"https://cdn.discordapp.com/avatars/1/abc.png":                           "https://cdn.discordapp.com/avatars/1/abc.png",
		"https://example.com/attachments/1/2/x.png":                              "https://example.com/attachments/1/2/x.png",
		"attachment://seen-1.png":                                                "attachment://seen-1.png",
	} {
		if got := attachmentRef(in); got != want {
			t.Errorf("attachmentRef(%q) = %q, want %q", in, got, want)
		}
	}
}

// After a failed read, the gateway connection sends nothing more: in
// particular not discordgo's close frame with code 1000, which would end
// the session on Discord.
func TestLinkConn_NoWritesAfterAFailedRead(t *testing.T) {
	t.Parallel()
	client, server := net.Pipe()
	defer server.Close()
	c := &linkConn{Conn: client}
	go func() { _, _ = server.Write([]byte("x")); _ = server.Close() }()
	buf := make([]byte, 8)
	if _, err := c.Read(buf); err != nil {
		t.Fatalf("first read: %v", err)
	}
	if _, err := c.Read(buf); err == nil {
		t.Fatal("read from a closed pipe succeeded")
	}
	if _, err := c.Write([]byte{0x88, 0x82}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after a failed read = %v, want net.ErrClosed", err)
	}
}

func TestANumber_EnglishArticle(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "a 0", 1: "a 1", 7: "a 7", 8: "an 8", 11: "an 11", 18: "an 18", 80: "an 80",
		110: "a 110", 800: "an 800", 11000: "an 11000", 18500: "an 18500", 1100: "a 1100", 181: "a 181"} {
		if got := langEN.aNumber(n); got != want {
			t.Errorf("aNumber(%d) = %q, want %q", n, got, want)
		}
	}
	if got := langES.aNumber(8); got != "un 8" {
		t.Errorf("Spanish aNumber(8) = %q", got)
	}
	if got := verdict(langEN, digitbot.Evaluation{Predicted: 3, TrueDigit: 8}); got != "❌ it was an 8" {
		t.Errorf("verdict = %q", got)
	}
}

// The /stats text rounds as the chart's tiles do (chart.drawTitleBar:
// accuracy to 0.1 %, mean confidence to 1 %).
func TestStatsSummary_RoundsLikeTheChart(t *testing.T) {
	t.Parallel()
	s := digitbot.Stats{Total: 3, Hits: 2, ConfidenceSum: 2.81}
	got := statsSummary(langEN, s)
	if want := "3 evaluations · 66.7% right · mean confidence 94%"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if got := statsSummary(langES, s); !strings.Contains(got, "66,7 %") || !strings.Contains(got, "94 %") {
		t.Errorf("Spanish summary %q", got)
	}
}

func TestGatewayError_ShardingHints(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]string{4011: "shard_count", 4010: "shard_ids must be"} {
		var ge *GatewayError
		if !errors.As(gatewayError(&websocket.CloseError{Code: code}), &ge) {
			t.Fatalf("close %d is not a GatewayError", code)
		}
		if !strings.Contains(ge.Fix, want) || strings.Contains(ge.Fix, "does not shard") {
			t.Errorf("close %d: fix %q", code, ge.Fix)
		}
	}
}

func TestDialAddr(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"wss://gateway-us-east1-b.discord.gg":       "gateway-us-east1-b.discord.gg:443",
		"wss://gateway-us-east1-b.discord.gg/?v=10": "gateway-us-east1-b.discord.gg:443",
		"ws://127.0.0.1:4567":                       "127.0.0.1:4567",
		"ws://localhost":                            "localhost:80",
	} {
		if got := dialAddr(in); got != want {
			t.Errorf("dialAddr(%q) = %q, want %q", in, got, want)
		}
	}
}
