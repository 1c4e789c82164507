package bot_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/bot"
	"github.com/digitbot/digitbot/fakediscord"
)

// pixelBomb is a valid PNG header declaring 100000x100000 pixels in a few
// bytes: decoding it naively would allocate 10 GB.
func pixelBomb() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 100000)
	binary.BigEndian.PutUint32(ihdr[4:], 100000)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit greyscale
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

func TestBot_BadImages_GetAClearReplyForEachErrorCode(t *testing.T) {
	t.Parallel()
	h := newHarness(t, realHarness())
	cases := []struct {
		code string
		file fakediscord.File
		want string
	}{
		{digitbot.EINVALIDIMAGE, fakediscord.File{Name: "broken.png", ContentType: "image/png", Data: []byte("\x89PNG\r\n\x1a\nthis is not really a png")}, "isn't an image I can read"},
		{digitbot.EUNSUPPORTED, fakediscord.File{Name: "notes.txt", ContentType: "text/plain", Data: []byte("seven")}, "can't read this image format"},
		{digitbot.EUNSUPPORTED, fakediscord.File{Name: "drawing.svg", ContentType: "image/svg+xml", Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"><text>7</text></svg>`)}, "can't read this image format"},
		{digitbot.ETOOLARGE, fakediscord.File{Name: "bomb.png", ContentType: "image/png", Data: pixelBomb()}, "too large"},
		{digitbot.ENODIGIT, testImage(t, "blank.png"), "couldn't find a digit"},
	}
	for _, c := range cases {
		t.Run(c.code+"/"+c.file.Name, func(t *testing.T) {
			// Mentioning the bot asks for an answer about every attachment.
			msg := h.post(fakediscord.MessageOptions{ChannelID: otherChannelID, Author: alice, MentionBot: true, Attachments: []fakediscord.File{c.file}})
			r := h.replyTo(msg.ID)
			if !strings.Contains(r.Content, c.want) || !strings.Contains(r.Content, c.file.Name) {
				t.Errorf("reply %q, want it to contain %q and the file name", r.Content, c.want)
			}
			if len(r.Buttons()) != 0 {
				t.Errorf("an error reply has buttons")
			}
		})
	}
	if n := h.evaluations(digitbot.Scope{}); n != 0 {
		t.Errorf("bad images left %d evaluations", n)
	}
}

func TestBot_ImageOverTheByteCap_IsRefusedBeforeDownloading(t *testing.T) {
	t.Parallel()
	o := defaultHarness()
	o.maxImageBytes = 500
	h := newHarness(t, o)
	msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-3.png")}})
	r := h.replyTo(msg.ID)
	if !strings.Contains(r.Content, "too large") || !strings.Contains(r.Content, "500 B") {
		t.Errorf("reply %q", r.Content)
	}
}

func TestBot_SlashPredictBadImage_ErrorIsPrivate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	in := h.slash(fakediscord.CommandOptions{Name: "predict", Actor: fakediscord.Actor{User: alice, Locale: "es-ES"},
		Options: map[string]any{"image": testImage(t, "blank.png")}})
	fs, err := in.WaitFollowups(h.ctx(), 1)
	if err != nil {
		t.Fatalf("no follow-up: %v; attempts %+v", err, in.Attempts())
	}
	if !fs[0].Ephemeral || !strings.Contains(fs[0].Content, "No he encontrado ningún dígito") {
		t.Errorf("follow-up ephemeral=%v %q", fs[0].Ephemeral, fs[0].Content)
	}
	if orig := in.Original(); orig != nil && !orig.Deleted {
		t.Errorf("the public 'thinking…' message was left: %+v", orig.Message)
	}
}

func TestBot_RateLimitedUser_IsToldOnceAndNotAnswered(t *testing.T) {
	t.Parallel()
	o := defaultHarness()
	o.ratePerMinute, o.rateBurst = 1, 1
	h := newHarness(t, o)
	first := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-1.png")}})
	if r := h.replyTo(first.ID); len(r.Embeds) != 1 {
		t.Fatalf("first image not answered: %q", r.Content)
	}
	second := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-2.png")}})
	if r := h.replyTo(second.ID); !strings.Contains(r.Content, "Slow down") || len(r.Embeds) != 0 {
		t.Errorf("rate-limited reply: %q (%d embeds)", r.Content, len(r.Embeds))
	}
	third := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-3.png")}})
	// Bob is not limited by alice's use; his answer comes after the third
	// message was handled.
	bobs := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: bob, Attachments: []fakediscord.File{testImage(t, "digit-4.png")}})
	if r := h.replyTo(bobs.ID); len(r.Embeds) != 1 {
		t.Errorf("bob was limited by alice's requests: %q", r.Content)
	}
	in := h.slash(fakediscord.CommandOptions{Name: "predict", Actor: fakediscord.Actor{User: alice}, Options: map[string]any{"image": testImage(t, "digit-5.png")}})
	if m := h.final(in); !in.Ephemeral() || !strings.Contains(m.Content, "Slow down") {
		t.Errorf("/predict while limited: ephemeral=%v %q", in.Ephemeral(), m.Content)
	}
	// Handlers run in gateway order, so the third message's work began
	// before bob's was answered; Shutdown waits for all work in flight, so
	// a reply to the third would be stored by the time it returns.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.bot.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, m := range h.srv.Messages(channelID) {
		if m.MessageReference != nil && m.MessageReference.MessageID == third.ID {
			t.Errorf("the bot answered a spammer twice: %q", m.Content)
		}
	}
}

func TestBot_DiscordAnswers429_ReplyStillArrives(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	h.srv.RateLimit("POST /channels/{id}/messages", 2, 50*time.Millisecond)
	msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-7.png")}})
	if r := h.replyTo(msg.ID); !strings.HasPrefix(r.Embeds[0].Description, "# 7") {
		t.Errorf("answer after 429s: %s", embedText(r))
	}
	limited := 0
	for _, rq := range h.srv.Requests() {
		if rq.Status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != 2 {
		t.Errorf("server answered 429 %d times, want 2 (the test did not exercise the retry)", limited)
	}
}

func TestBot_Endless429_GivesUpAtTheRequestTimeout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	// Every interaction response is rate limited for far longer than the
	// 3 s Discord allows for it: the handler must give up, not hang.
	h.srv.RateLimit("POST /interactions/{id}/{token}/callback", 1000, time.Second)
	in := h.slash(fakediscord.CommandOptions{Name: "help", Actor: fakediscord.Actor{User: alice}})
	// h.waitLog gives up after 10 s: the handler must have given up first.
	h.waitLog("interaction response failed")
	if in.Acknowledged() {
		t.Errorf("acknowledged despite the rate limit")
	}
}

func TestBot_DroppedConnection_ResumesAndAnswersMissedMessages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	if err := h.bot.Ready(); err != nil {
		t.Fatalf("not ready after start: %v", err)
	}
	h.srv.DropConnections()
	// Posted while the bot is away: replayed on RESUME.
	msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-6.png")}})
	if r := h.replyTo(msg.ID); !strings.HasPrefix(r.Embeds[0].Description, "# 6") {
		t.Errorf("answer after reconnecting: %s", embedText(r))
	}
	h.waitReady()
	if n := len(h.srv.Identifies()); n != 1 {
		t.Errorf("%d IDENTIFYs, want 1: the session should have been resumed", n)
	}
}

func TestBot_GatewayAsksToReconnect_Resumes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	h.srv.SendReconnect()
	msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-0.png")}})
	if r := h.replyTo(msg.ID); !strings.HasPrefix(r.Embeds[0].Description, "# 0") {
		t.Errorf("answer after op 7: %s", embedText(r))
	}
	h.waitReady()
}

func TestBot_BadToken_StartFailsNamingTheFix(t *testing.T) {
	o := defaultHarness()
	o.token = "Bot not-the-right-token"
	o.noStart = true
	h := newHarness(t, o)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	err := h.bot.Start(ctx)
	var ge *bot.GatewayError
	if !errors.As(err, &ge) {
		t.Fatalf("Start = %v, want a *bot.GatewayError", err)
	}
	if !strings.Contains(err.Error(), "reset the bot token") || !strings.Contains(err.Error(), "DIGITBOT_TOKEN") {
		t.Errorf("error does not say what to fix: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %s: the bot must not retry a bad token", time.Since(start))
	}
	if strings.Contains(err.Error(), "not-the-right-token") {
		t.Errorf("the error shows the token")
	}
}

func TestBot_MessageContentIntentNotAllowed_StartFailsNamingTheFix(t *testing.T) {
	t.Parallel()
	o := defaultHarness()
	o.messageContentAllowed = false
	o.noStart = true
	h := newHarness(t, o)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := h.bot.Start(ctx)
	var ge *bot.GatewayError
	if !errors.As(err, &ge) || ge.CloseCode != 4014 {
		t.Fatalf("Start = %v, want a *bot.GatewayError with close code 4014", err)
	}
	if !strings.Contains(err.Error(), "Message Content intent") || !strings.Contains(err.Error(), "message_content_intent = false") {
		t.Errorf("error does not say what to fix: %v", err)
	}
}

func TestBot_WithoutMessageContentIntent_MentionsDMsCommandsAndMenuStillWork(t *testing.T) {
	t.Parallel()
	o := defaultHarness()
	o.messageContentAllowed = false
	o.messageContentIntent = false
	h := newHarness(t, o)
	if !strings.Contains(h.logs.String(), "Message Content intent disabled") {
		t.Errorf("no start-up warning about watched channels:\n%s", h.logs.String())
	}
	if id, ok := h.srv.Identify(); !ok || id.Intents&discordgo.IntentMessageContent != 0 {
		t.Errorf("the bot asked for Message Content: %+v", id)
	}
	// A plain image in a watched channel arrives without its attachment.
	plain := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-1.png")}})
	mention := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, MentionBot: true, Attachments: []fakediscord.File{testImage(t, "digit-2.png")}})
	if r := h.replyTo(mention.ID); !strings.HasPrefix(r.Embeds[0].Description, "# 2") {
		t.Errorf("mention: %s", embedText(r))
	}
	dm := h.post(fakediscord.MessageOptions{DM: true, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-3.png")}})
	if r := h.replyTo(dm.ID); !strings.HasPrefix(r.Embeds[0].Description, "# 3") {
		t.Errorf("DM: %s", embedText(r))
	}
	in := h.slash(fakediscord.CommandOptions{Name: "predict", Actor: fakediscord.Actor{User: alice}, Options: map[string]any{"image": testImage(t, "digit-4.png")}})
	if m := h.final(in); !strings.HasPrefix(m.Embeds[0].Description, "# 4") {
		t.Errorf("/predict: %s", embedText(m))
	}
	menu, err := h.srv.RunMessageCommand(fakediscord.MessageCommandOptions{Name: "Recognize digit", TargetID: plain.ID, Actor: fakediscord.Actor{User: alice}})
	if err != nil {
		t.Fatal(err)
	}
	if m := h.final(menu); !strings.HasPrefix(m.Embeds[0].Description, "# 1") {
		t.Errorf("context menu on the plain message: %s", embedText(m))
	}
	for _, m := range h.srv.Messages(channelID) {
		if m.MessageReference != nil && m.MessageReference.MessageID == plain.ID {
			t.Errorf("the bot replied to a message it could not read: %q", m.Content)
		}
	}
}

// slowTransport delays every download, as a slow CDN would.
type slowTransport struct {
	base  http.RoundTripper
	delay time.Duration
}

func (s slowTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	select {
	case <-time.After(s.delay):
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	return s.base.RoundTrip(r)
}

func TestBot_SlowDownload_SlashPredictDefersWithinTheDeadline(t *testing.T) {
	o := defaultHarness()
	// The bot defers at once; the server allows 1 s instead of Discord's
	// 3 s, and the download takes longer than that, so only a defer keeps
	// the interaction alive.
	o.responseDeadline = time.Second
	o.downloadDelay = 1500 * time.Millisecond
	h := newHarness(t, o)
	in := h.slash(fakediscord.CommandOptions{Name: "predict", Actor: fakediscord.Actor{User: alice}, Options: map[string]any{"image": testImage(t, "digit-7.png")}})
	resp, err := in.WaitResponse(h.ctx())
	if err != nil {
		t.Fatalf("no first response: %v", err)
	}
	if resp.Type != int(discordgo.InteractionResponseDeferredChannelMessageWithSource) || resp.Elapsed > time.Second {
		t.Errorf("first response type %d after %s, want a defer within the 1 s window", resp.Type, resp.Elapsed)
	}
	m := h.final(in)
	if in.Failed() || len(m.Embeds) != 1 || !strings.HasPrefix(m.Embeds[0].Description, "# 7") {
		t.Errorf("failed=%v answer %s", in.Failed(), embedText(m))
	}
}

func TestBot_ShutdownDuringWork_FinishesEveryAnswerFirst(t *testing.T) {
	t.Parallel()
	// Every download is held until Shutdown has been called: the work is
	// in flight when it starts, whatever the machine's load.
	gate := gateTransport{started: make(chan struct{}, 4), open: make(chan struct{})}
	o := defaultHarness()
	o.downloadWrap = func(base http.RoundTripper) http.RoundTripper { gate.base = base; return gate }
	o.workers = 4 // all four downloads at once: each started one is a job the bot took
	h := newHarness(t, o)
	var ids []string
	for _, name := range []string{"digit-1.png", "digit-2.png", "digit-3.png"} {
		m := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, name)}})
		ids = append(ids, m.ID)
	}
	in := h.slash(fakediscord.CommandOptions{Name: "predict", Actor: fakediscord.Actor{User: bob}, Options: map[string]any{"image": testImage(t, "digit-4.png")}})
	for range 4 {
		<-gate.started
	}
	// The bound only stops a hung Shutdown.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	shutdown := make(chan error, 1)
	go func() { shutdown <- h.bot.Shutdown(ctx) }()
	close(gate.open)
	if err := <-shutdown; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	t.Logf("shutdown took %s", time.Since(start))
	for _, id := range ids {
		found := false
		for _, m := range h.srv.Messages(channelID) {
			if m.MessageReference != nil && m.MessageReference.MessageID == id && len(m.Embeds) == 1 {
				found = true
			}
		}
		if !found {
			t.Errorf("message %s was not answered before shutdown returned", id)
		}
	}
	if orig := in.Original(); orig == nil || len(orig.Embeds) != 1 {
		t.Errorf("/predict in flight was not answered before shutdown returned")
	}
	if err := h.bot.Ready(); err == nil {
		t.Errorf("still ready after shutdown")
	}
	// Events after shutdown are not taken: the bot has left the gateway
	// (the server drops the connection just after Shutdown returns), so
	// nothing can reach it, and waiting any longer would prove no more.
	h.waitServer("the bot's gateway connection closed", func() bool { return h.srv.Connections() == 0 })
	late, err := h.srv.RunSlashCommand(fakediscord.CommandOptions{Name: "help", Actor: fakediscord.Actor{User: alice}})
	if err == nil && late.Acknowledged() {
		t.Errorf("an interaction was handled after shutdown")
	}
}

func TestBot_TokenRejectedOnReconnect_StopsWithAFatalErrorInsteadOfRetrying(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	// The token is reset in the Developer Portal while the bot runs: the
	// next RESUME carries a token Discord no longer accepts.
	h.sess.Lock()
	h.sess.Token = "Bot revoked"
	h.sess.Identify.Token = "Bot revoked"
	h.sess.Unlock()
	h.srv.DropConnections()
	select {
	case err := <-h.bot.Fatal():
		var ge *bot.GatewayError
		if !errors.As(err, &ge) || ge.CloseCode != 4004 || !strings.Contains(err.Error(), "reset the bot token") {
			t.Errorf("fatal error = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no fatal error 10 s after the token was refused\nlogs:\n%s", h.logs.String())
	}
	if h.bot.Ready() == nil {
		t.Errorf("ready although the gateway refused the token")
	}
	if strings.Contains(h.logs.String(), "revoked") {
		t.Errorf("the token appears in the logs")
	}
}

func TestBot_InvalidSessionNotResumable_IdentifiesAgainAndKeepsAnswering(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	h.srv.InvalidateSession(false)
	h.waitServer("a second IDENTIFY after op 9", func() bool { return len(h.srv.Identifies()) >= 2 })
	msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-5.png")}})
	if r := h.replyTo(msg.ID); !strings.HasPrefix(r.Embeds[0].Description, "# 5") {
		t.Errorf("answer after a new session: %s", embedText(r))
	}
	h.waitReady()
}

func TestBot_QueueFull_TellsTheUserToTryAgain(t *testing.T) {
	t.Parallel()
	// Downloads are held until the refusal has been seen: the one upload
	// being worked on and the one queued keep the pool full meanwhile.
	gate := gateTransport{started: make(chan struct{}, 8), open: make(chan struct{})}
	o := defaultHarness()
	o.workers, o.queue = 1, 1
	o.downloadWrap = func(base http.RoundTripper) http.RoundTripper { gate.base = base; return gate }
	h := newHarness(t, o)
	var ids []string
	for _, name := range []string{"digit-1.png", "digit-2.png", "digit-3.png"} {
		m := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, name)}})
		ids = append(ids, m.ID)
	}
	isBusy := func(m *fakediscord.Message) bool {
		return m.Author != nil && m.Author.ID == h.srv.AppID() && m.MessageReference != nil &&
			slices.Contains(ids, m.MessageReference.MessageID) && strings.Contains(m.Content, "busy")
	}
	if _, err := h.srv.WaitMessage(h.ctx(), isBusy); err != nil {
		t.Fatalf("no upload was refused as busy: %v\nlogs:\n%s", err, h.logs.String())
	}
	close(gate.open)
	busy := 0
	for _, id := range ids {
		r := h.replyTo(id)
		if strings.Contains(r.Content, "busy") {
			busy++
		} else if len(r.Embeds) != 1 {
			t.Errorf("reply neither a prediction nor busy: %q", r.Content)
		}
	}
	if busy != 1 {
		t.Errorf("%d busy replies, want 1 (1 worker + 1 queued admitted, the third refused)", busy)
	}
	// The slash command path says it privately.
	in := h.slash(fakediscord.CommandOptions{Name: "predict", Actor: fakediscord.Actor{User: bob}, Options: map[string]any{"image": testImage(t, "digit-4.png")}})
	if m := h.final(in); len(m.Embeds) != 1 && !(in.Ephemeral() && strings.Contains(m.Content, "busy")) {
		t.Errorf("/predict: ephemeral=%v %q", in.Ephemeral(), m.Content)
	}
}

func TestBot_StartCancelled_ReturnsAndLeavesNoConnection(t *testing.T) {
	o := defaultHarness()
	o.noStart = true
	h := newHarness(t, o)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := h.bot.Start(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Start with a cancelled context = %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Start took %s to notice its context was cancelled", d)
	}
	// The connection attempt completes in the background: it must be
	// closed (discordgo's Close takes 1 s, and sends 1000) and not reopened.
	h.waitServer("the background connection closed", func() bool { return len(h.srv.CloseCodes()) > 0 && h.srv.Connections() == 0 })
	if n := h.srv.Connections(); n != 0 {
		t.Errorf("%d gateway connections open after a cancelled Start", n)
	}
	if n := len(h.srv.Identifies()); n > 1 {
		t.Errorf("%d IDENTIFYs: the bot reconnected after a cancelled Start", n)
	}
}
