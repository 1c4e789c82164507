package playground_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot/fakediscord"
	"github.com/digitbot/digitbot/playground"
)

// The playground is tested against the built-in Discord server and a small
// stand-in bot written with discordgo: these tests are about the page's
// API (what it sends to the server and what it shows back), not about
// digitbot's answers, which cmd/digitbot's tests check with the real bot.

const (
	anaID = "1300000000000000002"
	modID = "1300000000000000003"
)

// fakeBot answers like digitbot in shape: a reply with an embed, a
// picture and two buttons to each image; owner-only buttons; commands
// answered with their name and options.
type fakeBot struct {
	mu           sync.Mutex
	interactions []*discordgo.Interaction
	owner        map[string]string // reply id -> poster id
	// interacted is closed (and replaced) at each interaction.
	interacted chan struct{}
}

func (b *fakeBot) seen() []*discordgo.Interaction {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*discordgo.Interaction(nil), b.interactions...)
}

// waitSeen waits until the bot has seen n interactions, for at most 5 s,
// and returns them.
func (b *fakeBot) waitSeen(n int) []*discordgo.Interaction {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		b.mu.Lock()
		if len(b.interactions) >= n || ctx.Err() != nil {
			defer b.mu.Unlock()
			return append([]*discordgo.Interaction(nil), b.interactions...)
		}
		if b.interacted == nil {
			b.interacted = make(chan struct{})
		}
		interacted := b.interacted
		b.mu.Unlock()
		select {
		case <-interacted:
		case <-ctx.Done():
		}
	}
}

func tinyPNG(t testing.TB, side int) []byte {
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.Set(1, 1, color.White)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func startFakeBot(t *testing.T, srv *fakediscord.Server) *fakeBot {
	t.Helper()
	fb := &fakeBot{owner: map[string]string{}}
	dg, err := srv.NewSession(discordgo.IntentsGuildMessages | discordgo.IntentMessageContent)
	if err != nil {
		t.Fatal(err)
	}
	seenPNG := tinyPNG(t, 28)
	dg.AddHandler(func(s *discordgo.Session, m *discordgo.MessageCreate) {
		if m.Author == nil || m.Author.Bot || len(m.Attachments) == 0 {
			return
		}
		reply, err := s.ChannelMessageSendComplex(m.ChannelID, &discordgo.MessageSend{
			Embeds: []*discordgo.MessageEmbed{{
				Title: "Prediction: 3", Description: "# 3\n**sure**", Color: 0x2ECC71,
				Fields:    []*discordgo.MessageEmbedField{{Name: "Confidence", Value: "97%", Inline: true}},
				Thumbnail: &discordgo.MessageEmbedThumbnail{URL: "attachment://seen-1.png"},
			}},
			Files: []*discordgo.File{{Name: "seen-1.png", ContentType: "image/png", Reader: bytes.NewReader(seenPNG)}},
			Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				discordgo.Button{CustomID: "eval:" + m.ID + ":3", Label: "3", Style: discordgo.PrimaryButton},
				discordgo.Button{CustomID: "eval:" + m.ID + ":5", Label: "5", Style: discordgo.SecondaryButton},
				discordgo.Button{CustomID: "fix:" + m.ID, Label: "✏️ Correct it", Style: discordgo.SecondaryButton},
			}}},
			Reference: m.Reference(),
		})
		if err != nil {
			t.Errorf("fake bot reply: %v", err)
			return
		}
		fb.mu.Lock()
		fb.owner[reply.ID] = m.Author.ID
		fb.mu.Unlock()
	})
	dg.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
		fb.mu.Lock()
		fb.interactions = append(fb.interactions, ic.Interaction)
		if fb.interacted != nil {
			close(fb.interacted)
			fb.interacted = nil
		}
		owner := ""
		if ic.Message != nil {
			owner = fb.owner[ic.Message.ID]
		}
		fb.mu.Unlock()
		user := ic.Member.User.ID
		switch ic.Type {
		case discordgo.InteractionMessageComponent:
			if strings.HasPrefix(ic.MessageComponentData().CustomID, "fix:") && user == owner {
				_ = s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseModal,
					Data: &discordgo.InteractionResponseData{CustomID: "fixed", Title: "What number did you write?",
						Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
							discordgo.TextInput{CustomID: "number", Label: "The number", Style: discordgo.TextInputShort, Value: "3", Required: true, MinLength: 1, MaxLength: 12}}}}}})
				return
			}
			if user != owner {
				_ = s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
					Data: &discordgo.InteractionResponseData{Content: "Only the person who posted the image can evaluate this prediction.", Flags: discordgo.MessageFlagsEphemeral}})
				return
			}
			_ = s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage,
				Data: &discordgo.InteractionResponseData{Content: "✅ right", Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
					discordgo.Button{CustomID: "eval:x:3", Label: "3", Style: discordgo.SuccessButton, Disabled: true},
					discordgo.Button{CustomID: "eval:x:5", Label: "5", Style: discordgo.SecondaryButton, Disabled: true},
				}}}}})
		case discordgo.InteractionModalSubmit:
			typed := ic.ModalSubmitData().Components[0].(*discordgo.ActionsRow).Components[0].(*discordgo.TextInput).Value
			_ = s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage,
				Data: &discordgo.InteractionResponseData{Content: "❌ it was " + typed, Components: []discordgo.MessageComponent{}}})
		case discordgo.InteractionApplicationCommand:
			data := ic.ApplicationCommandData()
			if data.Name == "silent" {
				return
			}
			flags := discordgo.MessageFlags(0)
			if data.Name == "history" {
				flags = discordgo.MessageFlagsEphemeral
			}
			_ = s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Content: "ran " + data.Name + " in " + string(ic.Locale), Flags: flags}})
		}
	})
	if err := dg.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dg.ShouldReconnectOnError = false; _ = dg.Close() })
	one, manage := 1.0, int64(discordgo.PermissionManageGuild)
	es := func(s string) map[discordgo.Locale]string { return map[discordgo.Locale]string{discordgo.SpanishES: s} }
	esName := es("estadisticas")
	_, err = dg.ApplicationCommandBulkOverwrite(srv.AppID(), "", []*discordgo.ApplicationCommand{
		{Name: "predict", Description: "Recognise a digit", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionAttachment, Name: "image", Description: "the picture", Required: true}}},
		{Name: "stats", NameLocalizations: &esName, Description: "Charts", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "scope", NameLocalizations: es("ambito"), Description: "whose", Choices: []*discordgo.ApplicationCommandOptionChoice{
				{Name: "me", Value: "me"}, {Name: "server", Value: "server"}}},
			{Type: discordgo.ApplicationCommandOptionUser, Name: "user", Description: "who"}}},
		{Name: "history", Description: "Your last evaluations", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionInteger, Name: "limit", Description: "how many", MinValue: &one, MaxValue: 25}}},
		{Name: "config", Description: "Server settings", DefaultMemberPermissions: &manage, Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "show", Description: "show it"}}},
		{Name: "silent", Description: "Never answered"},
		{Type: discordgo.MessageApplicationCommand, Name: "Recognize digit"},
	})
	if err != nil {
		t.Fatalf("registering commands: %v", err)
	}
	return fb
}

type env struct {
	srv *fakediscord.Server
	bot *fakeBot
	pg  *playground.Playground
	url string
}

func newEnv(t *testing.T, o playground.Options, clock fakediscord.Clock) *env {
	t.Helper()
	so := playground.ServerOptions(nil)
	so.Clock = clock
	srv := fakediscord.New(t, so)
	fb := startFakeBot(t, srv)
	o.Server = srv
	pg, err := playground.New(o)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(pg)
	t.Cleanup(func() { pg.Close(); hs.Close() })
	return &env{srv: srv, bot: fb, pg: pg, url: hs.URL}
}

// call sends a request and decodes the JSON answer.
func call(t *testing.T, method, url, contentType string, body io.Reader) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: answer is not JSON (%d): %q", method, url, res.StatusCode, raw)
	}
	return res.StatusCode, out
}

func postJSON(t *testing.T, url string, v any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(v)
	return call(t, http.MethodPost, url, "application/json", bytes.NewReader(b))
}

type part struct {
	field, name, contentType string
	data                     []byte
}

func multipartBody(t *testing.T, fields map[string]string, files ...part) (string, *bytes.Buffer) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for _, f := range files {
		h := make(map[string][]string)
		h["Content-Disposition"] = []string{`form-data; name="` + f.field + `"; filename="` + f.name + `"`}
		h["Content-Type"] = []string{f.contentType}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(f.data)
	}
	mw.Close()
	return mw.FormDataContentType(), &buf
}

func postMessage(t *testing.T, e *env, user string, files ...part) (int, map[string]any) {
	t.Helper()
	ct, body := multipartBody(t, map[string]string{"user": user}, files...)
	return call(t, http.MethodPost, e.url+"/api/messages", ct, body)
}

// stream is one page's live connection.
type stream struct {
	events chan [2]string
}

func openStream(t *testing.T, e *env, user string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.url+"/api/events?user="+user, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/events = %d", res.StatusCode)
	}
	s := &stream{events: make(chan [2]string, 100)}
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		name := ""
		for sc.Scan() {
			if n, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				name = n
			} else if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				select {
				case s.events <- [2]string{name, d}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	if name, _ := s.next(t, 5*time.Second); name != "ready" {
		t.Fatalf("first event = %q, want ready", name)
	}
	return s
}

func (s *stream) next(t *testing.T, wait time.Duration) (string, string) {
	t.Helper()
	select {
	case e := <-s.events:
		return e[0], e[1]
	case <-time.After(wait):
		return "", ""
	}
}

// waitMessage waits for a message event whose JSON contains every want.
func (s *stream) waitMessage(t *testing.T, wants ...string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		name, data := s.next(t, time.Until(deadline))
		if name != "message" {
			continue
		}
		ok := true
		for _, w := range wants {
			ok = ok && strings.Contains(data, w)
		}
		if ok {
			var ev map[string]any
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				t.Fatal(err)
			}
			return ev["message"].(map[string]any)
		}
	}
	t.Fatalf("no message event with %q", wants)
	return nil
}

func errorText(out map[string]any) string { s, _ := out["error"].(string); return s }

func TestPlayground_State_DescribesUsersCommandsAndLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, playground.Options{MaxUploadBytes: 12345}, nil)
	if err := e.srv.WaitCommands(context.Background(), "", "predict", "Recognize digit"); err != nil {
		t.Fatal(err)
	}
	code, st := call(t, http.MethodGet, e.url+"/api/state", "", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /api/state = %d", code)
	}
	b, _ := json.Marshal(st)
	for _, want := range []string{`"key":"ana"`, `"key":"mod"`, `"manageServer":true`, `"maxUploadBytes":12345`,
		`"name":"try-digitbot"`, `"nameEs":"estadisticas"`, `"type":"message"`, `"moderatorOnly":true`, `"type":"attachment"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("state lacks %s: %s", want, b)
		}
	}
}

func TestPlayground_Page_IsServedWithAStrictPolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, playground.Options{}, nil)
	for path, want := range map[string]string{"/": "<canvas", "/app.js": "import", "/js/api.js": "EventSource", "/style.css": "--blurple"} {
		res, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
			t.Errorf("GET %s = %d, contains %q: %v", path, res.StatusCode, want, strings.Contains(string(b), want))
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy = %q", path, csp)
		}
	}
	code, out := call(t, http.MethodGet, e.url+"/api/nothing", "", nil)
	if code != http.StatusNotFound || !strings.Contains(errorText(out), "/api/nothing") {
		t.Errorf("unknown endpoint = %d %v", code, out)
	}
}

// The page is native ES modules: every module app.js imports, directly or
// not, is served as JavaScript (browsers refuse a module of another type).
func TestPlayground_Page_EveryModuleIsServed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, playground.Options{}, nil)
	importRE := regexp.MustCompile(`(?m)^import .* from "\./(?:js/)?([a-z0-9]+\.js)";$`)
	seen := map[string]bool{}
	queue := []string{"/app.js"}
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		res, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), "javascript") {
			t.Errorf("GET %s = %d %q", path, res.StatusCode, res.Header.Get("Content-Type"))
			continue
		}
		for _, m := range importRE.FindAllStringSubmatch(string(b), -1) {
			if next := "/js/" + m[1]; !seen[next] {
				seen[next] = true
				queue = append(queue, next)
			}
		}
	}
	if len(seen) < 5 {
		t.Errorf("app.js imports %d modules: %v", len(seen), seen)
	}
	if res, err := http.Get(e.url + "/js/nothing.js"); err != nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /js/nothing.js: %v %v", res, err)
	} else {
		res.Body.Close()
	}
}

func TestPlayground_PostImage_ReplyArrivesLiveWithItsPicture(t *testing.T) {
	t.Parallel()
	e := newEnv(t, playground.Options{}, nil)
	ana := openStream(t, e, "ana")
	code, out := postMessage(t, e, "ana", part{"file", "digit.png", "image/png", tinyPNG(t, 40)})
	if code != http.StatusCreated {
		t.Fatalf("POST /api/messages = %d %v", code, out)
	}
	posted := out["message"].(map[string]any)
	id := posted["id"].(string)
	if a := posted["attachments"].([]any)[0].(map[string]any); a["image"] != true || !strings.HasPrefix(a["url"].(string), "/files/") {
		t.Errorf("the posted image is not shown from the playground: %v", a)
	}
	reply := ana.waitMessage(t, `"replyTo":{"id":"`+id+`"`)
	embed := reply["embeds"].([]any)[0].(map[string]any)
	if embed["color"] != "#2ecc71" || embed["title"] != "Prediction: 3" {
		t.Errorf("embed = %v", embed)
	}
	buttons := reply["components"].([]any)[0].([]any)
	if len(buttons) != 3 || buttons[0].(map[string]any)["style"] != "primary" {
		t.Errorf("buttons = %v", buttons)
	}
	res, err := http.Get(e.url + embed["thumbnail"].(string))
	if err != nil {
		t.Fatal(err)
	}
	pic, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(pic, []byte("\x89PNG")) {
		t.Errorf("GET %s = %d %s", embed["thumbnail"], res.StatusCode, res.Header.Get("Content-Type"))
	}
	code, list := call(t, http.MethodGet, e.url+"/api/messages?user=mod", "", nil)
	if code != http.StatusOK || len(list["messages"].([]any)) != 2 {
		t.Errorf("GET /api/messages as mod = %d, %d messages; want both", code, len(list["messages"].([]any)))
	}
}

func TestPlayground_PostMessage_BadInput_IsRefusedAndNothingPosted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, playground.Options{MaxUploadBytes: 1000}, nil)
	big := make([]byte, 1500)
	copy(big, tinyPNG(t, 4))
	cases := []struct {
		name   string
		ct     string
		body   io.Reader
		status int
		says   string
	}{
		{"not a form", "application/json", strings.NewReader(`{"user":"ana"}`), http.StatusUnsupportedMediaType, "multipart/form-data"},
		{"unknown user", "", nil, http.StatusBadRequest, `Unknown user "eve"`},
		{"empty", "", nil, http.StatusBadRequest, "empty"},
		{"over the cap", "", nil, http.StatusRequestEntityTooLarge, "digitbot accepts images up to 1000 bytes"},
		{"too long", "", nil, http.StatusBadRequest, "2000"},
		{"broken form", "multipart/form-data; boundary=x", strings.NewReader("--x\r\nnot a part"), http.StatusBadRequest, "could not be read"},
	}
	for _, c := range cases {
		ct, body := c.ct, c.body
		switch c.name {
		case "unknown user":
			ct, body = multipartBody(t, map[string]string{"user": "eve"}, part{"file", "a.png", "image/png", tinyPNG(t, 4)})
		case "empty":
			ct, body = multipartBody(t, map[string]string{"user": "ana", "content": "   "})
		case "over the cap":
			ct, body = multipartBody(t, map[string]string{"user": "ana"}, part{"file", "big.png", "image/png", big})
		case "too long":
			ct, body = multipartBody(t, map[string]string{"user": "ana", "content": strings.Repeat("a", 2001)})
		}
		code, out := call(t, http.MethodPost, e.url+"/api/messages", ct, body)
		if code != c.status || !strings.Contains(errorText(out), c.says) {
			t.Errorf("%s: %d %q; want %d saying %q", c.name, code, errorText(out), c.status, c.says)
		}
	}
	// A body far over every cap is cut off while it is read.
	ct, body := multipartBody(t, map[string]string{"user": "ana"}, part{"file", "huge.png", "image/png", make([]byte, 1000*10+2<<20)})
	if code, out := call(t, http.MethodPost, e.url+"/api/messages", ct, body); code != http.StatusRequestEntityTooLarge {
		t.Errorf("huge body: %d %v", code, out)
	}
	if n := len(e.srv.Messages(playground.ChannelID)); n != 0 {
		t.Errorf("%d messages were posted by refused requests", n)
	}
}

func TestPlayground_Command_BadInput_IsRefusedBeforeDiscord(t *testing.T) {
	t.Parallel()
	e := newEnv(t, playground.Options{MaxUploadBytes: 1000}, nil)
	if err := e.srv.WaitCommands(context.Background(), "", "predict", "config"); err != nil {
		t.Fatal(err)
	}
	events, unsubscribe := e.srv.Subscribe()
	defer unsubscribe()
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	cases := []struct {
		name   string
		body   string
		status int
		says   string
	}{
		{"bad JSON", `{"user":"ana",`, http.StatusBadRequest, "not valid JSON"},
		{"unknown field", `{"user":"ana","command":"help","colour":1}`, http.StatusBadRequest, "colour"},
		{"two values", `{"user":"ana","command":"stats"} {}`, http.StatusBadRequest, "more than one"},
		{"unknown command", `{"user":"ana","command":"nope"}`, http.StatusBadRequest, "Unknown command /nope"},
		{"no command", `{"user":"ana"}`, http.StatusBadRequest, "command"},
		{"unknown user", `{"user":"eve","command":"stats"}`, http.StatusBadRequest, `Unknown user "eve"`},
		{"no user", `{"command":"stats"}`, http.StatusBadRequest, "must be one of ana, mod"},
		{"unknown locale", `{"user":"ana","locale":"xx-YY","command":"stats"}`, http.StatusBadRequest, "en-US, es-ES"},
		{"moderators only", `{"user":"ana","command":"config","subcommand":"show"}`, http.StatusForbidden, "Manage Server"},
		{"missing subcommand", `{"user":"mod","command":"config"}`, http.StatusBadRequest, "subcommand"},
		{"no image", `{"user":"ana","command":"predict"}`, http.StatusBadRequest, "needs an image"},
		{"image too large", `{"user":"ana","command":"predict","image":{"name":"x.png","data":"` + b64(1200) + `"}}`, http.StatusRequestEntityTooLarge, "up to 1000 bytes"},
		{"body too large", `{"user":"ana","command":"predict","image":{"name":"x.png","data":"` + b64(200000) + `"}}`, http.StatusRequestEntityTooLarge, "larger than digitbot accepts"},
		{"not base64", `{"user":"ana","command":"predict","image":{"data":"%%%"}}`, http.StatusBadRequest, "base64"},
		{"image on a command without one", `{"user":"ana","command":"stats","image":{"data":"iVBORw=="}}`, http.StatusBadRequest, "takes no image"},
		{"unknown option", `{"user":"ana","command":"stats","options":{"colour":"red"}}`, http.StatusBadRequest, `no option "colour"`},
		{"bad choice", `{"user":"ana","command":"stats","options":{"scope":"world"}}`, http.StatusBadRequest, "not one of me, server"},
		{"below minimum", `{"user":"ana","command":"history","options":{"limit":0}}`, http.StatusBadRequest, "minimum"},
		{"not whole", `{"user":"ana","command":"history","options":{"limit":2.5}}`, http.StatusBadRequest, "whole number"},
		{"unknown user option", `{"user":"ana","command":"stats","options":{"user":"@eve"}}`, http.StatusBadRequest, `unknown user "eve"`},
	}
	for _, c := range cases {
		code, out := call(t, http.MethodPost, e.url+"/api/commands", "application/json", strings.NewReader(c.body))
		if code != c.status || !strings.Contains(errorText(out), c.says) {
			t.Errorf("%s: %d %q; want %d saying %q", c.name, code, errorText(out), c.status, c.says)
		}
	}
	code, out := call(t, http.MethodPost, e.url+"/api/commands", "text/plain", strings.NewReader(`{}`))
	if code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain body: %d %v", code, out)
	}
	// The server publishes events in order: the first interaction it
	// creates after the refused requests must be this accepted one.
	code, out = call(t, http.MethodPost, e.url+"/api/commands", "application/json", strings.NewReader(`{"user":"ana","command":"history","options":{"limit":3}}`))
	if code != http.StatusAccepted {
		t.Fatalf("accepted command: %d %v", code, out)
	}
	want, _ := out["interactionId"].(string)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		select {
		case ev := <-events:
			if ev.Kind != fakediscord.EventInteractionCreate {
				continue
			}
			if ev.InteractionID != want {
				t.Fatalf("a refused request reached Discord as interaction %s", ev.InteractionID)
			}
			return
		case <-ctx.Done():
			t.Fatal("the accepted command's interaction was never created")
		}
	}
}

func TestPlayground_Command_OptionsAreConvertedAndLocaleSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, playground.Options{}, nil)
	if err := e.srv.WaitCommands(context.Background(), "", "stats", "history", "predict"); err != nil {
		t.Fatal(err)
	}
	ana := openStream(t, e, "ana")
	mod := openStream(t, e, "mod")
	if code, out := postJSON(t, e.url+"/api/commands", map[string]any{"user": "mod", "locale": "es", "command": "/estadisticas",
		"options": map[string]any{"ambito": "server", "user": "@Ana"}}); code != http.StatusAccepted || out["interactionId"] == "" {
		t.Fatalf("/stats = %d %v", code, out)
	}
	mod.waitMessage(t, "ran stats in es-ES", `"interaction":{"name":"stats","user":"Mod"}`)
	if code, out := postJSON(t, e.url+"/api/commands", map[string]any{"user": "ana", "command": "history", "options": map[string]any{"limit": "5"}}); code != http.StatusAccepted {
		t.Fatalf("/history = %d %v", code, out)
	}
	private := ana.waitMessage(t, "ran history in en-US")
	if private["ephemeral"] != true {
		t.Errorf("/history's private answer is not marked ephemeral: %v", private)
	}
	img := base64.StdEncoding.EncodeToString(tinyPNG(t, 20))
	if code, out := postJSON(t, e.url+"/api/commands", map[string]any{"user": "ana", "command": "predict", "image": map[string]string{"name": "d.png", "data": "data:image/png;base64," + img}}); code != http.StatusAccepted {
		t.Fatalf("/predict = %d %v", code, out)
	}
	ana.waitMessage(t, "ran predict")

	got := e.bot.seen()
	if len(got) != 3 {
		t.Fatalf("the bot saw %d interactions, want 3", len(got))
	}
	stats := got[0].ApplicationCommandData()
	opts := map[string]any{}
	for _, o := range stats.Options {
		opts[o.Name] = o.Value
	}
	if got[0].Member.Permissions&discordgo.PermissionManageGuild == 0 {
		t.Error("Mod's interaction lacks Manage Server")
	}
	if opts["scope"] != "server" || opts["user"] != anaID || got[0].Locale != discordgo.SpanishES {
		t.Errorf("/stats reached the bot as %v in %q", opts, got[0].Locale)
	}
	if got[1].Member.Permissions&discordgo.PermissionManageGuild != 0 {
		t.Error("Ana has Manage Server")
	}
	if v := got[1].ApplicationCommandData().Options[0].Value; v != float64(5) {
		t.Errorf("/history limit reached the bot as %#v", v)
	}
	pd := got[2].ApplicationCommandData()
	att := pd.Resolved.Attachments[pd.Options[0].Value.(string)]
	if att == nil || att.Filename != "d.png" {
		t.Errorf("/predict's image did not reach the bot: %+v", pd.Resolved)
	}

	// Private answers stay private: Mod's page never got Ana's /history.
	for {
		name, data := mod.next(t, 200*time.Millisecond)
		if name == "" {
			break
		}
		if strings.Contains(data, "ran history") {
			t.Error("Mod's page received Ana's private answer")
		}
	}
	_, list := call(t, http.MethodGet, e.url+"/api/messages?user=mod", "", nil)
	if b, _ := json.Marshal(list); bytes.Contains(b, []byte("ran history")) {
		t.Error("Mod's channel view lists Ana's private answer")
	}
}

func TestPlayground_Buttons_OwnerEvaluatesOthersAreRefusedPrivately(t *testing.T) {
	t.Parallel()
	e := newEnv(t, playground.Options{}, nil)
	ana := openStream(t, e, "ana")
	mod := openStream(t, e, "mod")
	_, out := postMessage(t, e, "ana", part{"file", "digit.png", "image/png", tinyPNG(t, 40)})
	posted := out["message"].(map[string]any)["id"].(string)
	reply := ana.waitMessage(t, `"replyTo":{"id":"`+posted+`"`)
	replyID := reply["id"].(string)
	three := reply["components"].([]any)[0].([]any)[0].(map[string]any)["customId"].(string)

	for _, c := range []struct {
		name   string
		body   map[string]any
		status int
		says   string
	}{
		{"unknown message", map[string]any{"user": "ana", "messageId": "1", "customId": three}, http.StatusNotFound, "no message"},
		{"unknown button", map[string]any{"user": "ana", "messageId": replyID, "customId": "eval:nope:1"}, http.StatusNotFound, "no button"},
		{"unknown user", map[string]any{"user": "eve", "messageId": replyID, "customId": three}, http.StatusBadRequest, "Unknown user"},
	} {
		code, out := postJSON(t, e.url+"/api/buttons", c.body)
		if code != c.status || !strings.Contains(errorText(out), c.says) {
			t.Errorf("%s: %d %q; want %d saying %q", c.name, code, errorText(out), c.status, c.says)
		}
	}

	if code, out := postJSON(t, e.url+"/api/buttons", map[string]any{"user": "mod", "messageId": replyID, "customId": three}); code != http.StatusAccepted {
		t.Fatalf("Mod's press = %d %v", code, out)
	}
	refusal := mod.waitMessage(t, "Only the person who posted")
	if refusal["ephemeral"] != true || refusal["replyTo"] == nil {
		t.Errorf("the refusal is not a private reply: %v", refusal)
	}
	// Ana's page is never told about it, nor can Ana press on it.
	if code, _ := postJSON(t, e.url+"/api/buttons", map[string]any{"user": "ana", "messageId": refusal["id"], "customId": "x"}); code != http.StatusNotFound {
		t.Errorf("Ana reached Mod's private message: %d", code)
	}

	if code, out := postJSON(t, e.url+"/api/buttons", map[string]any{"user": "ana", "locale": "en-US", "messageId": replyID, "customId": three}); code != http.StatusAccepted {
		t.Fatalf("Ana's press = %d %v", code, out)
	}
	edited := ana.waitMessage(t, `"id":"`+replyID+`"`, "✅ right")
	for _, b := range edited["components"].([]any)[0].([]any) {
		if b.(map[string]any)["disabled"] != true {
			t.Errorf("a button is still enabled after the evaluation: %v", b)
		}
	}
	if edited["edited"] != true {
		t.Error("the evaluated reply is not marked edited")
	}
	for {
		name, data := ana.next(t, 200*time.Millisecond)
		if name == "" {
			break
		}
		if strings.Contains(data, "Only the person who posted") {
			t.Error("Ana's page received Mod's private refusal")
		}
	}
	code, out2 := postJSON(t, e.url+"/api/buttons", map[string]any{"user": "ana", "messageId": replyID, "customId": "eval:x:3"})
	if code != http.StatusConflict || !strings.Contains(errorText(out2), "disabled") {
		t.Errorf("pressing a disabled button = %d %v", code, out2)
	}
}

func TestPlayground_ContextMenu_ReachesTheBotWithTheTarget(t *testing.T) {
	t.Parallel()
	e := newEnv(t, playground.Options{}, nil)
	if err := e.srv.WaitCommands(context.Background(), "", "Recognize digit"); err != nil {
		t.Fatal(err)
	}
	_, out := postMessage(t, e, "mod", part{"file", "digit.png", "image/png", tinyPNG(t, 40)})
	target := out["message"].(map[string]any)["id"].(string)
	if code, out := postJSON(t, e.url+"/api/context-menu", map[string]any{"user": "ana", "messageId": target}); code != http.StatusAccepted {
		t.Fatalf("context menu = %d %v", code, out)
	}
	seen := e.bot.waitSeen(1)
	if len(seen) != 1 || seen[0].ApplicationCommandData().TargetID != target {
		t.Fatalf("the bot saw %d interactions, want the context menu on %s", len(seen), target)
	}
	for _, c := range []struct {
		body   map[string]any
		status int
		says   string
	}{
		{map[string]any{"user": "ana", "messageId": "42"}, http.StatusNotFound, "no message"},
		{map[string]any{"user": "ana", "messageId": target, "command": "Paint it"}, http.StatusBadRequest, "Unknown message command"},
	} {
		code, out := postJSON(t, e.url+"/api/context-menu", c.body)
		if code != c.status || !strings.Contains(errorText(out), c.says) {
			t.Errorf("%v: %d %q; want %d saying %q", c.body, code, errorText(out), c.status, c.says)
		}
	}
}

func TestPlayground_UnansweredInteraction_TellsThePage(t *testing.T) {
	t.Parallel()
	clock := fakediscord.NewFakeClock(time.Now())
	e := newEnv(t, playground.Options{}, clock)
	if err := e.srv.WaitCommands(context.Background(), "", "silent"); err != nil {
		t.Fatal(err)
	}
	ana := openStream(t, e, "ana")
	if code, out := postJSON(t, e.url+"/api/commands", map[string]any{"user": "ana", "command": "silent"}); code != http.StatusAccepted {
		t.Fatalf("/silent = %d %v", code, out)
	}
	clock.Advance(4 * time.Second) // past Discord's 3 s window
	for {
		name, data := ana.next(t, 5*time.Second)
		if name == "" {
			t.Fatal("the page was not told that the interaction failed")
		}
		if name == "notice" {
			if !strings.Contains(data, "interaction failed") {
				t.Errorf("notice = %s", data)
			}
			return
		}
	}
}

func TestPlayground_Files_OnlyImagesShowInline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, playground.Options{}, nil)
	_, out := postMessage(t, e, "ana", part{"file", "page.html", "text/html", []byte("<script>alert(1)</script>")})
	a := out["message"].(map[string]any)["attachments"].([]any)[0].(map[string]any)
	if a["image"] != false {
		t.Errorf("an HTML file is treated as an image: %v", a)
	}
	res, err := http.Get(e.url + a["url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/octet-stream" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") || !strings.Contains(res.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("uploaded HTML served as %d %q %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"), res.Header.Get("Content-Security-Policy"))
	}
	code, _ := call(t, http.MethodGet, e.url+"/files/"+a["id"].(string)+"/other.png", "", nil)
	if code != http.StatusNotFound {
		t.Errorf("a file under another name = %d, want 404", code)
	}
}

func TestPlayground_Events_UnknownUserAndShutdown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, playground.Options{}, nil)
	code, out := call(t, http.MethodGet, e.url+"/api/events?user=eve", "", nil)
	if code != http.StatusBadRequest || !strings.Contains(errorText(out), "eve") {
		t.Errorf("stream for an unknown user = %d %v", code, out)
	}
	openStream(t, e, "ana")
	e.pg.Close() // ends open streams so an HTTP server can shut down
	hs := httptest.NewServer(e.pg)
	defer hs.Close()
	code, _ = call(t, http.MethodGet, hs.URL+"/api/events?user=ana", "", nil)
	if code != http.StatusServiceUnavailable {
		t.Errorf("stream after Close = %d, want 503", code)
	}
}

func TestPlayground_New_RefusesBadOptions(t *testing.T) {
	t.Parallel()
	if _, err := playground.New(playground.Options{}); err == nil {
		t.Error("New without a server succeeded")
	}
	srv := fakediscord.New(t, playground.ServerOptions(nil))
	if _, err := playground.New(playground.Options{Server: srv, Users: []playground.User{{Key: "a", ID: "1"}, {Key: "a", ID: "2"}}}); err == nil {
		t.Error("New accepted two users with one key")
	}
}

func TestPlayground_Modal_ShownToThePresserAndSubmitted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, playground.Options{}, nil)
	ana := openStream(t, e, "ana")
	mod := openStream(t, e, "mod")
	_, out := postMessage(t, e, "ana", part{"file", "digit.png", "image/png", tinyPNG(t, 40)})
	posted := out["message"].(map[string]any)["id"].(string)
	reply := ana.waitMessage(t, `"replyTo":{"id":"`+posted+`"`)
	replyID := reply["id"].(string)
	fix := reply["components"].([]any)[0].([]any)[2].(map[string]any)["customId"].(string)
	if code, out := postJSON(t, e.url+"/api/buttons", map[string]any{"user": "ana", "locale": "en-US", "messageId": replyID, "customId": fix}); code != http.StatusAccepted {
		t.Fatalf("Ana's press = %d %v", code, out)
	}
	var modal struct {
		InteractionID string `json:"interactionId"`
		Title         string `json:"title"`
		Inputs        []struct {
			CustomID  string `json:"customId"`
			Value     string `json:"value"`
			MinLength int    `json:"minLength"`
			MaxLength int    `json:"maxLength"`
			Required  bool   `json:"required"`
		} `json:"inputs"`
	}
	for deadline := time.Now().Add(10 * time.Second); modal.InteractionID == "" && time.Now().Before(deadline); {
		if name, data := ana.next(t, time.Until(deadline)); name == "modal" {
			if err := json.Unmarshal([]byte(data), &modal); err != nil {
				t.Fatal(err)
			}
		}
	}
	if modal.InteractionID == "" || modal.Title != "What number did you write?" || len(modal.Inputs) != 1 {
		t.Fatalf("modal event %+v", modal)
	}
	if in := modal.Inputs[0]; in.CustomID != "number" || in.Value != "3" || in.MinLength != 1 || in.MaxLength != 12 || !in.Required {
		t.Errorf("input %+v", in)
	}
	submit := func(user, id string, values map[string]string) (int, map[string]any) {
		return postJSON(t, e.url+"/api/modals", map[string]any{"user": user, "locale": "en-US", "interactionId": id, "values": values})
	}
	for _, c := range []struct {
		name, user, id string
		values         map[string]string
		status         int
		says           string
	}{
		{"another user's dialog", "mod", modal.InteractionID, map[string]string{"number": "8"}, http.StatusNotFound, "no open dialog"},
		{"unknown dialog", "ana", "1", map[string]string{"number": "8"}, http.StatusNotFound, "no open dialog"},
		{"too long", "ana", modal.InteractionID, map[string]string{"number": "1234567890123"}, http.StatusBadRequest, "1 to 12 characters"},
		{"empty", "ana", modal.InteractionID, map[string]string{"number": ""}, http.StatusBadRequest, "has no value"},
		{"unknown input", "ana", modal.InteractionID, map[string]string{"word": "8"}, http.StatusBadRequest, "no input"},
	} {
		if code, out := submit(c.user, c.id, c.values); code != c.status || !strings.Contains(errorText(out), c.says) {
			t.Errorf("%s: %d %q; want %d saying %q", c.name, code, errorText(out), c.status, c.says)
		}
	}
	if code, out := submit("ana", modal.InteractionID, map[string]string{"number": "8"}); code != http.StatusAccepted {
		t.Fatalf("submitting = %d %v", code, out)
	}
	ana.waitMessage(t, `"id":"`+replyID+`"`, "❌ it was 8")
	if code, _ := submit("ana", modal.InteractionID, map[string]string{"number": "9"}); code != http.StatusNotFound {
		t.Errorf("the dialog was submitted twice: %d", code)
	}
	for {
		name, _ := mod.next(t, 200*time.Millisecond)
		if name == "" {
			break
		}
		if name == "modal" {
			t.Error("Mod's page was shown Ana's dialog")
		}
	}
}
