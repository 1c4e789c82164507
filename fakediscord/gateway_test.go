package fakediscord

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

func tinyPNG(w, h int) []byte {
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h)))
	return b.Bytes()
}

func TestGateway_ConnectReadyGuildCreate(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, rec := openSession(t, srv, discordgo.IntentsAllWithoutPrivileged)

	ready := rec.wait(t, "READY", nil).Struct.(*discordgo.Ready)
	if ready.SessionID == "" || ready.User == nil || ready.User.ID != DefaultAppID || !ready.User.Bot {
		t.Fatalf("READY = %+v, want session id and bot user %s", ready, DefaultAppID)
	}
	if ready.Application == nil || ready.Application.ID != DefaultAppID {
		t.Fatalf("READY application = %+v", ready.Application)
	}
	if len(ready.Guilds) != 1 || ready.Guilds[0].ID != DefaultGuildID || !ready.Guilds[0].Unavailable {
		t.Fatalf("READY guilds = %+v, want one unavailable guild", ready.Guilds)
	}
	gc := rec.wait(t, "GUILD_CREATE", nil).Struct.(*discordgo.GuildCreate)
	if gc.ID != DefaultGuildID || len(gc.Channels) != 1 || gc.Channels[0].ID != DefaultChannelID || gc.Channels[0].Name != "general" {
		t.Fatalf("GUILD_CREATE = %+v", gc.Guild)
	}
	// discordgo's state saw the guild too.
	if _, err := dg.State.Guild(DefaultGuildID); err != nil {
		t.Fatalf("state has no guild: %v", err)
	}
	info, ok := srv.Identify()
	if !ok || !info.TokenOK || info.Intents != discordgo.IntentsAllWithoutPrivileged || !info.Compress || info.Version != "9" || info.Encoding != "json" {
		t.Fatalf("identify = %+v", info)
	}
	if n := srv.Connections(); n != 1 {
		t.Fatalf("Connections = %d, want 1", n)
	}
	// Sequence numbers increase by one per dispatch.
	var seqs []int64
	for _, e := range srv.gatewayEvents() {
		if e.Op == 0 && e.SessionID == ready.SessionID {
			seqs = append(seqs, e.Seq)
		}
	}
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Fatalf("dispatch seqs = %v, want 1,2,3...", seqs)
		}
	}
	// discordgo heartbeats right after READY.
	waitServer(t, srv, "a heartbeat", func() bool { return srv.Heartbeats() > 0 })
	_ = dg
}

// readFrame reads one gateway payload from a raw websocket, decompressing
// a binary frame as one complete zlib stream.
func readFrame(t *testing.T, ws *websocket.Conn) (int, map[string]any) {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	mt, data, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if mt == websocket.BinaryMessage {
		zr, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("binary frame is not a zlib stream: %v", err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			t.Fatalf("zlib: %v", err)
		}
	}
	var p map[string]any
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatalf("payload %q: %v", data, err)
	}
	return mt, p
}

func TestGateway_PayloadCompression(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	ws, _, err := websocket.DefaultDialer.Dial(srv.wsURL+"/?v=9&encoding=json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	mt, hello := readFrame(t, ws)
	if mt != websocket.TextMessage || hello["op"].(float64) != 10 {
		t.Fatalf("first frame = %v %v, want text HELLO", mt, hello)
	}
	_ = ws.WriteJSON(map[string]any{"op": 2, "d": map[string]any{"token": "Bot " + DefaultToken, "intents": 513, "compress": true, "properties": map[string]string{}}})
	mt, ready := readFrame(t, ws)
	if mt != websocket.BinaryMessage || ready["t"] != "READY" {
		t.Fatalf("READY frame type %d payload %v, want zlib binary", mt, ready["t"])
	}
	_, gc := readFrame(t, ws)
	if gc["t"] != "GUILD_CREATE" || gc["s"].(float64) != 2 {
		t.Fatalf("second dispatch = %v seq %v", gc["t"], gc["s"])
	}
	_ = ws.WriteJSON(map[string]any{"op": 1, "d": 2})
	if mt, ack := readFrame(t, ws); ack["op"].(float64) != 11 {
		t.Fatalf("heartbeat answer = %d %v, want op 11", mt, ack)
	}
}

func TestGateway_TransportCompressionZlibStream(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	ws, _, err := websocket.DefaultDialer.Dial(srv.wsURL+"/?v=10&encoding=json&compress=zlib-stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	// One zlib context for the whole connection; each message ends with a
	// sync flush (00 00 ff ff).
	pr, pw := io.Pipe()
	frames := make(chan []byte, 16)
	go func() {
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				close(frames)
				pw.CloseWithError(err)
				return
			}
			frames <- data
			_, _ = pw.Write(data)
		}
	}()
	zr, err := zlib.NewReader(pr)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(zr)
	var hello map[string]any
	if err := dec.Decode(&hello); err != nil || hello["op"].(float64) != 10 {
		t.Fatalf("hello %v %v", hello, err)
	}
	first := <-frames
	if !bytes.HasSuffix(first, []byte{0, 0, 0xff, 0xff}) {
		t.Fatalf("frame does not end with a zlib sync flush: % x", first[len(first)-4:])
	}
	_ = ws.WriteJSON(map[string]any{"op": 2, "d": map[string]any{"token": DefaultToken, "intents": 1, "properties": map[string]string{}}})
	var ready map[string]any
	if err := dec.Decode(&ready); err != nil || ready["t"] != "READY" {
		t.Fatalf("ready %v %v", ready["t"], err)
	}
	if d := ready["d"].(map[string]any); d["v"].(float64) != 10 {
		t.Fatalf("READY v = %v, want 10", d["v"])
	}
}

// closeCodeFor identifies with a raw websocket and returns the close code.
func closeCodeFor(t *testing.T, srv *Server, identify map[string]any) int {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(srv.wsURL+"/?v=9&encoding=json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	readFrame(t, ws)
	_ = ws.WriteJSON(map[string]any{"op": 2, "d": identify})
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := ws.ReadMessage()
		if ce, ok := err.(*websocket.CloseError); ok {
			return ce.Code
		}
		if err != nil {
			t.Fatalf("want a close frame, got %v", err)
		}
	}
}

func TestGateway_BadTokenCloses4004(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	// A raw discordgo session with a wrong token: Open succeeds (IDENTIFY is
	// sent), then the server closes with 4004 and records it.
	dg, err := discordgo.New("Bot wrong")
	if err != nil {
		t.Fatal(err)
	}
	srv.Configure(dg)
	dg.ShouldReconnectOnError = false
	_ = dg.Open()
	defer closeSession(dg)
	waitServer(t, srv, "an IDENTIFY", func() bool { return len(srv.Identifies()) > 0 })
	if id := srv.Identifies()[0]; id.TokenOK || id.CloseCode != CloseAuthenticationFailed {
		t.Fatalf("identify = %+v, want refused with 4004", id)
	}
	if code := closeCodeFor(t, srv, map[string]any{"token": "nope", "intents": 1}); code != CloseAuthenticationFailed {
		t.Fatalf("close code %d, want 4004", code)
	}
}

func TestGateway_DisallowedIntentsCloses4014(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{MessageContentAllowed: false})
	code := closeCodeFor(t, srv, map[string]any{"token": "Bot " + DefaultToken, "intents": int(discordgo.IntentsAllWithoutPrivileged | discordgo.IntentMessageContent)})
	if code != CloseDisallowedIntents {
		t.Fatalf("close code %d, want 4014", code)
	}
	allowed := New(t, Options{MessageContentAllowed: true})
	_, rec := openSession(t, allowed, discordgo.IntentsAllWithoutPrivileged|discordgo.IntentMessageContent)
	if len(rec.all("READY")) != 1 {
		t.Fatal("no READY with the intent allowed")
	}
	if code := closeCodeFor(t, srv, map[string]any{"token": DefaultToken, "intents": 1 << 30}); code != CloseInvalidIntents {
		t.Fatalf("unknown intent bits: close %d, want 4013", code)
	}
}

func TestGateway_DropConnectionResumesAndReplays(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	_, rec := openSession(t, srv, discordgo.IntentsAllWithoutPrivileged)
	// discordgo sleeps 1 s in Close before reconnecting, so the post lands
	// while the session has no connection and must come back on RESUME.
	srv.DropConnections()
	m, err := srv.PostMessage(MessageOptions{Content: "missed", MentionBot: true})
	if err != nil {
		t.Fatal(err)
	}
	rec.wait(t, "MESSAGE_CREATE", func(e *discordgo.Event) bool { return e.Struct.(*discordgo.MessageCreate).ID == m.ID })
	replayed := false
	for _, e := range srv.gatewayEvents() {
		replayed = replayed || (e.Replayed && e.Type == "MESSAGE_CREATE")
	}
	if !replayed {
		t.Fatal("the missed MESSAGE_CREATE was not replayed on RESUME")
	}
	// What the server did is the point: the first RESUME was accepted and
	// replayed what the session missed, then RESUMED was sent. (On a loaded
	// machine discordgo may reconnect once more from its heartbeat
	// goroutine, racing its own reconnect; a second RESUME is fine.)
	if rs := srv.Resumes(); len(rs) == 0 || !rs[0].TokenOK || rs[0].Invalid || rs[0].Replayed < 1 {
		t.Fatalf("resumes %+v", rs)
	}
	resumed := false
	for _, e := range srv.gatewayEvents() {
		resumed = resumed || e.Type == "RESUMED"
	}
	if !resumed {
		t.Fatal("no RESUMED dispatched after the RESUME")
	}
	if n := len(srv.Identifies()); n != 1 {
		t.Fatalf("%d IDENTIFYs, want 1 (resumed, not re-identified)", n)
	}
}

func TestGateway_Op7ReconnectResumes(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	_, rec := openSession(t, srv, discordgo.IntentsAllWithoutPrivileged)
	srv.SendReconnect()
	rec.wait(t, "RESUMED", nil)
	m, err := srv.PostMessage(MessageOptions{DM: true, Content: "after reconnect"})
	if err != nil {
		t.Fatal(err)
	}
	got := rec.wait(t, "MESSAGE_CREATE", func(e *discordgo.Event) bool { return e.Struct.(*discordgo.MessageCreate).ID == m.ID })
	if got.Struct.(*discordgo.MessageCreate).Content != "after reconnect" {
		t.Fatal("wrong content after reconnect")
	}
	codes := srv.CloseCodes()
	if len(codes) == 0 || codes[0] != websocket.CloseServiceRestart {
		t.Fatalf("client close codes %v, want 1012 first (discordgo on op 7)", codes)
	}
}

func TestGateway_Op9InvalidSessionReidentifies(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	_, rec := openSession(t, srv, discordgo.IntentsAllWithoutPrivileged)
	old := rec.wait(t, "READY", nil).Struct.(*discordgo.Ready).SessionID
	srv.InvalidateSession(false)
	second := rec.wait(t, "READY", func(e *discordgo.Event) bool { return e.Struct.(*discordgo.Ready).SessionID != old })
	if second == nil {
		t.Fatal("no second READY")
	}
	if n := len(srv.Identifies()); n != 2 {
		t.Fatalf("%d IDENTIFYs, want 2", n)
	}
	// The new session receives events; the old one is dead.
	m, _ := srv.PostMessage(MessageOptions{DM: true, Content: "new session"})
	rec.wait(t, "MESSAGE_CREATE", func(e *discordgo.Event) bool { return e.Struct.(*discordgo.MessageCreate).ID == m.ID })
}

func TestGateway_ShardRouting(t *testing.T) {
	t.Parallel()
	// shard_id = (guild_id >> 22) % num_shards
	onShard1, onShard0 := "4194304", "8388608"
	srv := New(t, Options{Guilds: []GuildOptions{{ID: onShard1, Name: "one"}, {ID: onShard0, Name: "zero"}}})
	dg, err := srv.NewSession(discordgo.IntentsAllWithoutPrivileged)
	if err != nil {
		t.Fatal(err)
	}
	dg.ShardID, dg.ShardCount = 0, 2
	rec := newRecorder()
	dg.AddHandler(func(_ *discordgo.Session, e *discordgo.Event) { rec.add(e) })
	if err := dg.Open(); err != nil {
		t.Fatal(err)
	}
	defer closeSession(dg)
	ready := rec.wait(t, "READY", nil).Struct.(*discordgo.Ready)
	if len(ready.Guilds) != 1 || ready.Guilds[0].ID != onShard0 {
		t.Fatalf("shard 0 READY guilds %+v", ready.Guilds)
	}
	info, _ := srv.Identify()
	if info.Shard == nil || *info.Shard != [2]int{0, 2} {
		t.Fatalf("recorded shard %v", info.Shard)
	}
	m1, _ := srv.PostMessage(MessageOptions{GuildID: onShard1, Content: "a", MentionBot: true})
	m0, _ := srv.PostMessage(MessageOptions{GuildID: onShard0, Content: "b", MentionBot: true})
	rec.wait(t, "MESSAGE_CREATE", func(e *discordgo.Event) bool { return e.Struct.(*discordgo.MessageCreate).ID == m0.ID })
	for _, e := range rec.all("MESSAGE_CREATE") {
		if e.Struct.(*discordgo.MessageCreate).ID == m1.ID {
			t.Fatal("shard 0 received an event of a shard 1 guild")
		}
	}
}
