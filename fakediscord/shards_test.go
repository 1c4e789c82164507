package fakediscord

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// gatewayBot asks GET /gateway/bot with the bot token.
func gatewayBot(t *testing.T, srv *Server) discordgo.GatewayBotResponse {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "https://discord.com/api/v10/gateway/bot", nil)
	req.Header.Set("Authorization", "Bot "+srv.Token())
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var gb discordgo.GatewayBotResponse
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &gb) != nil {
		t.Fatalf("GET /gateway/bot: %s %s", resp.Status, body)
	}
	return gb
}

// openShard opens a discordgo session as shard id of count and returns
// the close code the gateway refused it with (0: READY).
func openShard(t *testing.T, srv *Server, id, count int) (*discordgo.Session, int) {
	t.Helper()
	dg, err := srv.NewSession(discordgo.IntentsGuilds)
	if err != nil {
		t.Fatal(err)
	}
	dg.ShouldReconnectOnError = false
	dg.ShardID, dg.ShardCount = id, count
	err = dg.Open()
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return nil, ce.Code
	}
	if err != nil {
		t.Fatalf("shard %d of %d: %v", id, count, err)
	}
	t.Cleanup(func() { _ = dg.Close() }) // no write to ShouldReconnectOnError: discordgo reads it unlocked
	return dg, 0
}

func TestGatewayBot_ReportsShardsAndSessionStarts(t *testing.T) {
	t.Parallel()
	var guilds []GuildOptions
	for n := range 1001 {
		guilds = append(guilds, GuildOptions{ID: GuildIDOnShard(n%3, 3, n), Name: "g"})
	}
	if gb := gatewayBot(t, New(t, Options{Guilds: guilds})); gb.Shards != 2 {
		t.Errorf("shards = %d for 1,001 servers, want 2 (one per 1,000)", gb.Shards)
	}
	srv := New(t, Options{Guilds: guilds[:3], MaxConcurrency: 4, Sharding: ShardOptions{SessionStarts: 50}})
	gb := gatewayBot(t, srv)
	if gb.Shards != 1 {
		t.Errorf("shards = %d for 3 servers, want 1", gb.Shards)
	}
	l := gb.SessionStartLimit
	if l.Total != 50 || l.Remaining != 50 || l.MaxConcurrency != 4 || l.ResetAfter <= 0 {
		t.Errorf("session_start_limit = %+v", l)
	}
	for id := range 2 {
		if _, code := openShard(t, srv, id, 3); code != 0 {
			t.Fatalf("shard %d refused with %d", id, code)
		}
	}
	if l := gatewayBot(t, srv).SessionStartLimit; l.Remaining != 48 {
		t.Errorf("remaining = %d after two IDENTIFYs, want 48", l.Remaining)
	}
	srv.SetSessionStartsRemaining(0)
	if _, code := openShard(t, srv, 2, 3); code != CloseAuthenticationFailed {
		t.Errorf("IDENTIFY with no session starts left: close %d, want 4004 (Discord resets the token)", code)
	}
}

func TestGateway_ShardSettingsRefused(t *testing.T) {
	t.Parallel()
	guilds := []GuildOptions{{ID: GuildIDOnShard(0, 2, 0), Name: "a"}, {ID: GuildIDOnShard(1, 2, 1), Name: "b"}}
	t.Run("4011 when one session would hold too many servers", func(t *testing.T) {
		srv := New(t, Options{Guilds: guilds, Sharding: ShardOptions{MaxGuildsPerShard: 1}})
		if _, code := openShard(t, srv, 0, 1); code != CloseShardingRequired {
			t.Errorf("unsharded: close %d, want 4011", code)
		}
		for id := range 2 {
			if _, code := openShard(t, srv, id, 2); code != 0 {
				t.Errorf("shard %d of 2: close %d, want READY", id, code)
			}
		}
	})
	t.Run("4010 when the count is not the large-bot multiple", func(t *testing.T) {
		srv := New(t, Options{Guilds: guilds, Sharding: ShardOptions{ShardCountMultiple: 4}})
		if _, code := openShard(t, srv, 1, 2); code != CloseInvalidShard {
			t.Errorf("shard 1 of 2: close %d, want 4010", code)
		}
		if _, code := openShard(t, srv, 1, 4); code != 0 {
			t.Errorf("shard 1 of 4: close %d, want READY", code)
		}
	})
}

// Four shards: each server's events reach only its shard, DMs only shard
// 0, and dropping one shard's connection leaves the others' alone.
func TestGateway_FourShards_RoutingAndDropShard(t *testing.T) {
	t.Parallel()
	var guilds []GuildOptions
	for id := range 4 {
		guilds = append(guilds, GuildOptions{ID: GuildIDOnShard(id, 4, id), Name: "g", Channels: []ChannelOptions{{ID: GuildIDOnShard(id, 4, 100+id), Name: "c"}}})
	}
	srv := New(t, Options{Guilds: guilds})
	recs := make([]*recorder, 4)
	for id := range 4 {
		dg, err := srv.NewSession(discordgo.IntentsAllWithoutPrivileged)
		if err != nil {
			t.Fatal(err)
		}
		dg.ShardID, dg.ShardCount = id, 4
		recs[id] = newRecorder()
		rec := recs[id]
		dg.AddHandler(func(_ *discordgo.Session, e *discordgo.Event) { rec.add(e) })
		if err := dg.Open(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = dg.Close() }) // no write to ShouldReconnectOnError: discordgo reads it unlocked
		if r := rec.wait(t, "READY", nil).Struct.(*discordgo.Ready); len(r.Guilds) != 1 || r.Guilds[0].ID != guilds[id].ID {
			t.Fatalf("shard %d READY guilds %+v", id, r.Guilds)
		}
	}
	posted := map[string]int{}
	for id, g := range guilds {
		m, err := srv.PostMessage(MessageOptions{GuildID: g.ID, ChannelID: g.Channels[0].ID, Content: "hi", MentionBot: true})
		if err != nil {
			t.Fatal(err)
		}
		posted[m.ID] = id
	}
	dm, err := srv.PostMessage(MessageOptions{DM: true, Content: "dm"})
	if err != nil {
		t.Fatal(err)
	}
	posted[dm.ID] = 0
	for id, want := range posted {
		recs[want].wait(t, "MESSAGE_CREATE", func(e *discordgo.Event) bool { return e.Struct.(*discordgo.MessageCreate).ID == id })
	}
	for id, want := range posted {
		if got := srv.DeliveredTo(id); len(got) != 1 || got[0] != want {
			t.Errorf("DeliveredTo(%s) = %v, want [%d]", id, got, want)
		}
	}
	for shard, rec := range recs {
		for _, e := range rec.all("MESSAGE_CREATE") {
			if id := e.Struct.(*discordgo.MessageCreate).ID; posted[id] != shard {
				t.Errorf("shard %d got message %s of shard %d", shard, id, posted[id])
			}
		}
	}
	if n := srv.DropShard(2); n != 1 {
		t.Fatalf("DropShard(2) cut %d connections", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	recs[2].wait(t, "RESUMED", nil)
	if err := srv.waitFor(ctx, func() bool { return len(srv.resumes) == 1 }); err != nil {
		t.Fatal(err)
	}
	if r := srv.Resumes(); len(r) != 1 || r[0].Invalid {
		t.Errorf("resumes after dropping shard 2: %+v", r)
	}
	if n := len(srv.Identifies()); n != 4 {
		t.Errorf("%d IDENTIFYs, want 4: dropping shard 2 made another shard reconnect", n)
	}
}
