package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/bot"
	"github.com/digitbot/digitbot/chart"
	"github.com/digitbot/digitbot/fakediscord"
	"github.com/digitbot/digitbot/internal/digitbottest"
	"github.com/digitbot/digitbot/playground"
)

// The browser end-to-end test: Debian's Chromium, headless, drives the
// page `digitbot playground` serves, with the real bot behind it. It draws
// digits with mouse events (which the browser turns into pointer events,
// as for a person), reads what the page shows, and clicks buttons.
//
// In CI (CI=true) a missing browser fails the test; elsewhere it skips.
// UPDATE_SCREENSHOT=1 also writes docs/playground.png for the README.

// chromiumPath finds the browser: $CHROMIUM, then the usual names.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser starts a headless Chromium with a fresh profile.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		msg := "no Chromium found (apt-get install -y chromium, or set CHROMIUM to the binary)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + ": the browser test must run in CI")
		}
		t.Skip(msg)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// page is the browser tab, with the test's deadline on every step.
type page struct {
	t   *testing.T
	ctx context.Context
}

func (p page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatalf("browser: %v", err)
	}
}

// eval runs JavaScript and returns its value.
func eval[T any](p page, js string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		p.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// waitFor polls a JavaScript predicate until it is truthy and returns it.
func waitFor[T any](p page, what, js string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Poll[T](js, chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil {
		p.t.Fatalf("waiting for %s: %v\nthe page's last notice: %q\nthe page's messages (end): %s", what, err,
			eval[string](p, `document.getElementById("toast").textContent`),
			eval[string](p, `document.getElementById("messages").innerText.slice(-1500)`))
	}
	return v
}

type point struct{ X, Y float64 }

// center scrolls an element into view and returns its centre, once the
// page is still: every image loaded (a late image would scroll the list)
// and the element is the one under that point.
func center(p page, selector string) point {
	p.t.Helper()
	waitFor[bool](p, "every image to load before clicking "+selector, `[...document.images].every(i => i.complete)`)
	// Scroll, then measure twice a few frames apart: a click only goes
	// where the element stays. The page retries at each animation frame
	// until the element is there, still and on top, or 15 s have passed.
	js := fmt.Sprintf(`(async () => {
		const frames = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
		for (const end = performance.now() + 15000; performance.now() < end; await frames()) {
			const e = document.querySelector(%q); if (!e) continue;
			e.scrollIntoView({block: "center"});
			await frames();
			const a = e.getBoundingClientRect();
			await frames();
			const b = e.getBoundingClientRect();
			if (a.top !== b.top || a.left !== b.left || b.width === 0) continue;
			const x = b.left + b.width / 2, y = b.top + b.height / 2;
			const hit = document.elementFromPoint(x, y);
			if (hit && (hit === e || e.contains(hit))) return {X: x, Y: y};
		}
		return null; })()`, selector)
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	c, err := chromedp.Run(ctx, chromedp.Evaluate[*point](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("locating %s: %v", selector, err)
	}
	if c == nil {
		p.t.Fatalf("%s is not visible and still within 15 s", selector)
	}
	return *c
}

// click presses and releases the left button on an element, like a person.
func click(p page, selector string) {
	p.t.Helper()
	c := center(p, selector)
	p.do(chromedp.MouseClickXY(c.X, c.Y))
}

func leftButtonHeld(prm *input.DispatchMouseEventParams) {
	prm.Button = input.MouseButtonLeft
	prm.Buttons = 1
}

// draw traces strokes on the canvas; each stroke is a list of points in
// 0..1 canvas coordinates, interpolated every few pixels as a hand would.
func draw(p page, strokes ...[]point) {
	p.t.Helper()
	box := eval[struct{ X, Y, W, H float64 }](p, `(() => { const c = document.querySelector("[data-testid=draw-canvas]");
		c.scrollIntoView({block: "center"}); const r = c.getBoundingClientRect(); return {X: r.left, Y: r.top, W: r.width, H: r.height}; })()`)
	at := func(q point) (float64, float64) { return box.X + q.X*box.W, box.Y + q.Y*box.H }
	for _, s := range strokes {
		x, y := at(s[0])
		steps := []chromedp.Action[chromedp.Void]{
			chromedp.MouseEvent(chromedp.MouseMoved, x, y),
			chromedp.MouseEvent(chromedp.MousePressed, x, y, leftButtonHeld, chromedp.ClickCount(1)),
		}
		for i := 1; i < len(s); i++ {
			x0, y0 := at(s[i-1])
			x1, y1 := at(s[i])
			for k := 1; k <= 8; k++ {
				f := float64(k) / 8
				steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, x0+(x1-x0)*f, y0+(y1-y0)*f, leftButtonHeld))
			}
		}
		x, y = at(s[len(s)-1])
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, x, y, leftButtonHeld, chromedp.ClickCount(1)))
		p.do(steps...)
	}
}

// Handwritten-looking digits, in canvas fractions.
var (
	strokeSeven = [][]point{
		{{0.24, 0.22}, {0.45, 0.21}, {0.72, 0.22}, {0.70, 0.30}, {0.60, 0.48}, {0.52, 0.66}, {0.46, 0.82}},
	}
	strokeOne = [][]point{
		{{0.44, 0.26}, {0.52, 0.18}, {0.52, 0.40}, {0.51, 0.62}, {0.51, 0.82}},
	}
)

// lastBotReply is a JS expression for the bot's reply to the newest message of
// the user, once it has buttons.
const lastBotReply = `(() => { const mine = [...document.querySelectorAll('li[data-testid=message][data-author=ana]')].pop();
	if (!mine) return null;
	const r = [...document.querySelectorAll('li[data-testid=message][data-author=bot]')].find(li =>
		li.querySelector('.ref') && li.dataset.id > mine.dataset.id && li.querySelector('[data-testid=button]'));
	if (!r) return null;
	return {id: r.dataset.id, title: r.querySelector('[data-testid=embed-title]').textContent,
		seen: !!(r.querySelector('[data-testid=embed-thumbnail]') || {}).complete && r.querySelector('[data-testid=embed-thumbnail]').naturalWidth > 0};
})()`

type reply struct {
	ID    string
	Title string
	Seen  bool
}

func TestPlayground_Browser_DrawSendEvaluateStatsRefusal(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	pg := startPlayground(t, "--verbose")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("playground log:\n%s", pg.stderr)
		}
	})
	p := page{t: t, ctx: ctx}
	// Screenshots outlive the test so a person can look at them.
	shots, err := os.MkdirTemp("", "digitbot-playground-screenshots-")
	if err != nil {
		t.Fatal(err)
	}

	p.do(chromedp.EmulateViewport(1280, 1000), chromedp.Navigate(pg.url))
	waitFor[bool](p, "the page to load the channel and open its live stream", `document.body.dataset.ready === "true"`)
	if title := eval[string](p, `document.title`); title != "digitbot playground" {
		t.Errorf("page title = %q", title)
	}
	// The welcome names the commands the bot registered, not a list the
	// page was written with: /config is for moderators, Ana is not one.
	welcome := eval[string](p, `document.getElementById("welcome2").textContent`)
	if !strings.Contains(welcome, "/stats") || !strings.Contains(welcome, "/history") || !strings.Contains(welcome, "Recognize digit") || strings.Contains(welcome, "/config") {
		t.Errorf("welcome = %q", welcome)
	}

	// Ana draws a 7 and sends it.
	draw(p, strokeSeven...)
	if !eval[bool](p, `!document.getElementById("send").disabled`) {
		t.Fatal("drawing on the canvas did not enable Send: the page saw no pointer events")
	}
	sent := time.Now()
	click(p, "[data-testid=send]")
	r := waitFor[reply](p, "the bot's reply to the drawing", lastBotReply)
	elapsed := time.Since(sent)
	t.Logf("send → reply with buttons visible in the page: %v", elapsed)
	if !strings.HasSuffix(r.Title, ": 7") {
		t.Fatalf("the bot read the drawn 7 as %q", r.Title)
	}
	waitFor[bool](p, "the \"what I saw\" image to load", `(() => { const i = document.querySelector('li[data-id="`+r.ID+`"] [data-testid=embed-thumbnail]'); return i && i.complete && i.naturalWidth > 0; })()`)
	if !eval[bool](p, `!!document.querySelector('li[data-author=ana] [data-testid=attachment-image]')`) {
		t.Error("Ana's drawing is not shown as an image in her message")
	}

	// The right button: the reply is edited, buttons disabled, ✅.
	click(p, `li[data-id="`+r.ID+`"] [data-testid=button][data-custom-id$=":7"]`)
	waitFor[bool](p, "the reply to show ✅ with every button disabled", `(() => {
		const li = document.querySelector('li[data-id="`+r.ID+`"]'); if (!li) return false;
		const bs = [...li.querySelectorAll('[data-testid=button]')];
		return li.textContent.includes("✅") && bs.length > 0 && bs.every(b => b.disabled); })()`)
	shot(p, filepath.Join(shots, "1-evaluated.png"))

	// A second drawing, a 1, left unevaluated for the refusal below.
	draw(p, strokeOne...)
	click(p, "[data-testid=send]")
	second := waitFor[reply](p, "a second reply", `(() => { const r = `+lastBotReply+`; return r && r.id !== "`+r.ID+`" ? r : null; })()`)
	if !strings.HasSuffix(second.Title, ": 1") {
		t.Errorf("the bot read the drawn 1 as %q", second.Title)
	}

	// An image from the file picker (an MNIST 3) goes the same way.
	picked, err := filepath.Abs(filepath.Join("..", "..", "bot", "testdata", "digit-3.png"))
	if err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{picked}))
	waitFor[bool](p, "the picked file's chip", `!!document.querySelector("#attachments .chip")`)
	click(p, "[data-testid=send]")
	third := waitFor[reply](p, "the reply to the picked file", `(() => { const r = `+lastBotReply+`; return r && r.id > "`+second.ID+`" ? r : null; })()`)
	if !strings.HasSuffix(third.Title, ": 3") {
		t.Errorf("the bot read the picked MNIST 3 as %q", third.Title)
	}

	// Drag and drop, and paste, attach images too (synthetic events with
	// real File objects: the handlers are the page's own).
	ctxDrop, cancelDrop := context.WithTimeout(ctx, 20*time.Second)
	dropped, err := chromedp.Run(ctxDrop, chromedp.Evaluate[struct {
		Overlay bool
		Chips   []string
	}](`(async () => {
		const img = document.querySelector('li[data-author=ana] [data-testid=attachment-image]');
		const blob = await (await fetch(img.src)).blob();
		const dt = new DataTransfer();
		dt.items.add(new File([blob], "dropped.png", {type: "image/png"}));
		const chat = document.getElementById("chat");
		chat.dispatchEvent(new DragEvent("dragenter", {dataTransfer: dt, bubbles: true, cancelable: true}));
		const overlay = !document.getElementById("drop").hidden;
		chat.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
		const clip = new DataTransfer();
		clip.items.add(new File([blob], "pasted.png", {type: "image/png"}));
		window.dispatchEvent(new ClipboardEvent("paste", {clipboardData: clip, bubbles: true, cancelable: true}));
		return {Overlay: overlay, Chips: [...document.querySelectorAll("#attachments .chip span")].map(s => s.textContent)};
	})()`, chromedp.EvalAwaitPromise))
	cancelDrop()
	if err != nil {
		t.Fatalf("drop and paste: %v", err)
	}
	if !dropped.Overlay || strings.Join(dropped.Chips, ",") != "dropped.png,pasted.png" {
		t.Errorf("drop overlay shown %v, attachments %v; want the overlay and dropped.png, pasted.png", dropped.Overlay, dropped.Chips)
	}
	click(p, "#attachments .chip button")
	click(p, "#attachments .chip button")
	if n := eval[int](p, `document.querySelectorAll("#attachments .chip").length`); n != 0 {
		t.Errorf("%d attachments left after removing both", n)
	}

	// /stats from the command bar: an image in the answer.
	p.do(chromedp.Focus(chromedp.CSS("[data-testid=input]")))
	p.do(chromedp.SendKeys(chromedp.CSS("[data-testid=input]"), "/stats"))
	waitFor[bool](p, "the command popup to offer /stats", `!!document.querySelector('[data-testid=command-stats]')`)
	p.do(chromedp.SendKeys(chromedp.CSS("[data-testid=input]"), "\r")) // picks /stats from the popup
	p.do(chromedp.SendKeys(chromedp.CSS("[data-testid=input]"), "\r")) // runs it
	waitFor[bool](p, "the /stats chart to load", `[...document.querySelectorAll('li[data-author=bot]')].some(li =>
		li.querySelector('.interaction-line') && li.querySelector('.interaction-line').textContent.includes('/stats') &&
		[...li.querySelectorAll('img')].some(i => i.complete && i.naturalWidth >= 300))`)
	shot(p, filepath.Join(shots, "2-stats.png"))

	// Mod presses a digit on Ana's message: a private refusal, nothing changes.
	click(p, "[data-testid=user-mod]")
	waitFor[bool](p, "the page to reload as Mod", `document.body.dataset.ready === "true" && document.querySelector('[data-testid=user-mod]').getAttribute('aria-pressed') === 'true'`)
	click(p, `li[data-id="`+second.ID+`"] [data-testid=button][data-custom-id$=":1"]`)
	refusal := waitFor[struct{ ID, Text string }](p, "Mod's private refusal", `(() => { const li = [...document.querySelectorAll('li[data-author=bot]')].find(li =>
		li.querySelector('[data-testid=ephemeral]') && li.dataset.id > "`+second.ID+`"); return li ? {ID: li.dataset.id, Text: li.innerText} : null; })()`)
	if !strings.Contains(refusal.Text, "Only you can see this") {
		t.Errorf("the refusal is not marked private: %q", refusal.Text)
	}
	if !eval[bool](p, `[...document.querySelectorAll('li[data-id="`+second.ID+`"] [data-testid=button]')].every(b => !b.disabled)`) {
		t.Error("Mod's press changed Ana's reply")
	}
	shot(p, filepath.Join(shots, "3-refusal.png"))

	// Back as Ana, the refusal is not hers to see.
	click(p, "[data-testid=user-ana]")
	waitFor[bool](p, "the page to reload as Ana", `document.body.dataset.ready === "true" && document.querySelector('[data-testid=user-ana]').getAttribute('aria-pressed') === 'true'`)
	if eval[bool](p, `!!document.querySelector('li[data-id="`+refusal.ID+`"]')`) {
		t.Error("Ana sees the private refusal meant for Mod")
	}
	if !eval[bool](p, `!!document.querySelector('li[data-id="`+second.ID+`"]')`) {
		t.Error("Ana no longer sees the bot's reply to her")
	}

	// Apps → Recognize digit on Ana's drawing, in Spanish: the context
	// menu's answer follows the interaction locale.
	click(p, "[data-testid=locale-es]")
	mine := eval[string](p, `[...document.querySelectorAll('li[data-author=ana]')].pop().dataset.id`)
	c := center(p, `li[data-id="`+mine+`"] [data-testid=attachment-image]`)
	p.do(chromedp.MouseClickXY(c.X, c.Y, chromedp.ButtonRight))
	waitFor[bool](p, "the context menu", `!document.getElementById("menu").hidden`)
	if label := eval[string](p, `document.querySelector("[data-testid=menu-recognize-digit]").textContent`); label != "Reconocer dígito" {
		t.Errorf("context menu entry in Spanish = %q", label)
	}
	newest := eval[string](p, `[...document.querySelectorAll('li[data-testid=message]')].pop().dataset.id`)
	click(p, "[data-testid=menu-recognize-digit]")
	spanish := waitFor[string](p, "the context menu's answer", `(() => { const li = [...document.querySelectorAll('li[data-author=bot]')].pop();
		return li && li.dataset.id > "`+newest+`" && li.querySelector('[data-testid=embed-title]') ? li.innerText : ""; })()`)
	if !strings.Contains(spanish, "Reconocer dígito") || !strings.Contains(spanish, "Confianza") {
		t.Errorf("the context menu's answer is not a Spanish prediction: %q", spanish)
	}
	shot(p, filepath.Join(shots, "4-context-menu-es.png"))
	t.Logf("screenshots: %s", shots)
	if os.Getenv("UPDATE_SCREENSHOT") == "1" {
		b, err := os.ReadFile(filepath.Join(shots, "1-evaluated.png"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "playground.png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("wrote docs/playground.png")
	}
}

// shot saves the visible page as a PNG.
func shot(p page, path string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// numberPlayground serves the playground with the real bot on a scripted
// classifier and an in-memory store: the picture bot/testdata/digit-2.png
// reads as the number 2026 (its 3rd digit unsure), so correcting a number
// is tested whatever the model makes of a drawing.
func numberPlayground(t *testing.T) (url string) {
	t.Helper()
	srv := fakediscord.New(t, playground.ServerOptions(nil))
	picture, err := os.ReadFile(filepath.Join("..", "..", "bot", "testdata", "digit-2.png"))
	if err != nil {
		t.Fatal(err)
	}
	cls := digitbottest.NewClassifier()
	cls.Script(picture, digitbottest.Number("2026", 0.99, 0.97, 0.55, 0.93))
	dg, err := discordgo.New("Bot " + srv.Token())
	if err != nil {
		t.Fatal(err)
	}
	srv.Configure(dg)
	b, err := bot.New(bot.Options{
		Session: dg, Classifier: cls, Store: digitbottest.NewStore(), HTTPClient: srv.HTTPClient(),
		Render: func(s digitbot.Stats, r bot.ChartRequest) ([]byte, error) {
			return chart.Render(s, chart.Options{Title: r.Title, Threshold: r.Threshold, Lang: r.Lang})
		},
		Config: bot.Config{WatchedChannels: []string{playground.ChannelID}, MessageContentIntent: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	pg, err := playground.New(playground.Options{Server: srv})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(pg)
	t.Cleanup(func() {
		pg.Close()
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b.Shutdown(ctx)
	})
	return hs.URL
}

func TestPlayground_Browser_CorrectANumberInTheModal(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	url := numberPlayground(t)
	p := page{t: t, ctx: ctx}
	p.do(chromedp.EmulateViewport(1280, 1000), chromedp.Navigate(url))
	waitFor[bool](p, "the page to load the channel and open its live stream", `document.body.dataset.ready === "true"`)

	picked, err := filepath.Abs(filepath.Join("..", "..", "bot", "testdata", "digit-2.png"))
	if err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{picked}))
	waitFor[bool](p, "the picked file's chip", `!!document.querySelector("#attachments .chip")`)
	click(p, "[data-testid=send]")
	id := waitFor[string](p, "the bot's answer with the number", `(() => {
		const li = [...document.querySelectorAll('li[data-author=bot]')].find(li => li.querySelector('[data-custom-id^="numfix:"]'));
		return li ? li.dataset.id : ""; })()`)
	answer := eval[string](p, `document.querySelector('li[data-id="`+id+`"]').innerText`)
	for _, want := range []string{"2026", "3rd digit", "55.0%"} {
		if !strings.Contains(answer, want) {
			t.Errorf("the answer lacks %q:\n%s", want, answer)
		}
	}
	waitFor[bool](p, "the strip of what the bot saw", `(() => { const i = document.querySelector('li[data-id="`+id+`"] [data-testid=embed-image]');
		return !!i && i.complete && i.naturalWidth > 2 * i.naturalHeight; })()`)
	fix := `li[data-id="` + id + `"] [data-custom-id^="numfix:"]`
	input := "[data-testid=modal-input-number]"

	// Correct it: the dialog opens prefilled with the reading.
	click(p, fix)
	waitFor[bool](p, "the correction dialog", `document.getElementById("modal").open`)
	if v := eval[string](p, `document.querySelector("`+input+`").value`); v != "2026" {
		t.Errorf("the dialog's input holds %q, want the reading 2026", v)
	}
	if title := eval[string](p, `document.getElementById("modal-title").textContent`); title != "What number did you write?" {
		t.Errorf("dialog title %q", title)
	}
	// Empty: the dialog itself refuses, as Discord's client does.
	clearInput(p, input)
	click(p, "[data-testid=modal-submit]")
	waitFor[bool](p, "the dialog's own refusal", `!document.getElementById("modal-error").hidden && document.getElementById("modal").open`)
	// Not a number: the bot refuses privately, nothing changes.
	p.do(chromedp.SendKeys(chromedp.CSS(input), "12a4"))
	click(p, "[data-testid=modal-submit]")
	refusal := waitFor[string](p, "the bot's private refusal", `(() => { const li = [...document.querySelectorAll('li[data-author=bot]')].find(li =>
		li.querySelector('[data-testid=ephemeral]') && li.dataset.id > "`+id+`"); return li ? li.innerText : ""; })()`)
	if !strings.Contains(refusal, "isn't a number") || eval[bool](p, `document.getElementById("modal").open`) {
		t.Errorf("refusal %q (dialog still open: %v)", refusal, eval[bool](p, `document.getElementById("modal").open`))
	}
	if !eval[bool](p, `[...document.querySelectorAll('li[data-id="`+id+`"] [data-testid=button]')].every(b => !b.disabled)`) {
		t.Error("a refused correction changed the answer")
	}
	// The true number: the answer shows the verdict, buttons disabled.
	click(p, fix)
	waitFor[bool](p, "the correction dialog again", `document.getElementById("modal").open`)
	clearInput(p, input)
	p.do(chromedp.SendKeys(chromedp.CSS(input), "2028"))
	click(p, "[data-testid=modal-submit]")
	waitFor[bool](p, "the answer to show the correction with every button disabled", `(() => {
		const li = document.querySelector('li[data-id="`+id+`"]'); if (!li) return false;
		const bs = [...li.querySelectorAll('[data-testid=button]')];
		return li.innerText.includes("It was 2028") && bs.length === 2 && bs.every(b => b.disabled); })()`)
}

// clearInput empties a text input as selecting all and deleting would.
func clearInput(p page, selector string) {
	p.t.Helper()
	eval[bool](p, `(() => { const i = document.querySelector(`+fmt.Sprintf("%q", selector)+`);
		i.value = ""; i.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`)
}
