package bot_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/digitbot/digitbot/bot"
	"github.com/digitbot/digitbot/fakediscord"
)

// identifyMargin is the bot's IDENTIFY window for a server whose window
// is w (zero: the bot's default), with a margin as in production.
func identifyMargin(w time.Duration) time.Duration {
	if w <= 0 {
		return 0
	}
	return w + w/4
}

// shardGuilds makes one server per shard of count, each with one channel,
// the watched channels being those channels.
func shardGuilds(count int) (guilds []fakediscord.GuildOptions, channels []string) {
	for id := range count {
		g := fakediscord.GuildOptions{ID: fakediscord.GuildIDOnShard(id, count, id), Name: "server on shard", OwnerID: fakediscord.DefaultOwnerID,
			Channels: []fakediscord.ChannelOptions{{ID: fakediscord.GuildIDOnShard(id, count, 1000+id), Name: "digits"}}}
		guilds = append(guilds, g)
		channels = append(channels, g.Channels[0].ID)
	}
	return guilds, channels
}

// shardOfSession maps the gateway's session ids to their shards.
func shardOfSession(srv *fakediscord.Server) map[string]int {
	out := map[string]int{}
	for _, id := range srv.Identifies() {
		if id.SessionID != "" {
			shard := 0
			if id.Shard != nil {
				shard = id.Shard[0]
			}
			out[id.SessionID] = shard
		}
	}
	return out
}

func fourShards(t *testing.T) (*harness, []string) {
	t.Helper()
	guilds, channels := shardGuilds(4)
	o := defaultHarness()
	o.guilds, o.watched = guilds, channels
	o.globalCommands = true
	// "auto": the count is Discord's recommendation.
	o.sharding = &bot.Sharding{}
	o.serverSharding = fakediscord.ShardOptions{RecommendedShards: 4}
	o.maxConcurrency = 2
	o.identifyWindow = 400 * time.Millisecond
	return newHarness(t, o), channels
}

// Four shards in one process, from shard_count "auto": they identify
// bucket by bucket without one op 9, each server's upload is answered
// exactly once (by the shard Discord sends it to), DMs come through shard
// 0, and a slash command in a server on the last shard is answered.
func TestBot_FourShards_OneProcess(t *testing.T) {
	// Not parallel: the shards identify a window apart by the wall
	// clock, and other tests loading the machine would delay them unevenly.
	h, channels := fourShards(t)
	srv := h.srv
	if got := srv.ShardSessions(); len(got) != 4 || got[0] != 1 || got[1] != 1 || got[2] != 1 || got[3] != 1 {
		t.Fatalf("sessions by shard = %v, want one on each of 0-3", got)
	}
	var first [4]time.Time
	for _, id := range srv.Identifies() {
		if id.RateLimited {
			t.Errorf("the IDENTIFY of shard %v came too fast and got op 9", *id.Shard)
		}
		if id.Shard == nil || id.Shard[1] != 4 {
			t.Fatalf("IDENTIFY shard %v, want [k, 4]", id.Shard)
		}
		if id.SessionID != "" && first[id.Shard[0]].IsZero() {
			first[id.Shard[0]] = id.Time
		}
	}
	// max_concurrency 2: shards 0 and 1 form the first bucket, 2 and 3
	// the second, one window later.
	for _, k := range []int{2, 3} {
		if first[k].Sub(first[0]) < 400*time.Millisecond || first[k].Sub(first[1]) < 400*time.Millisecond {
			t.Errorf("shard %d identified %s after shard 0 and %s after shard 1: less than a window", k, first[k].Sub(first[0]), first[k].Sub(first[1]))
		}
	}

	posted := map[string]int{} // message id → shard
	for k, ch := range channels {
		m := h.post(fakediscord.MessageOptions{GuildID: fakediscord.GuildIDOnShard(k, 4, k), ChannelID: ch,
			Attachments: []fakediscord.File{testImage(t, "digit-3.png")}})
		posted[m.ID] = k
	}
	dm := h.post(fakediscord.MessageOptions{DM: true, Attachments: []fakediscord.File{testImage(t, "digit-7.png")}})
	for id := range posted {
		h.replyTo(id)
	}
	h.replyTo(dm.ID)
	in := h.slash(fakediscord.CommandOptions{Name: "help", Actor: fakediscord.Actor{GuildID: fakediscord.GuildIDOnShard(3, 4, 3), ChannelID: channels[3]}})
	h.final(in)

	// Every event went to one session, of the right shard; each upload
	// got one reply.
	posted[dm.ID] = 0
	for id, k := range posted {
		if got := srv.DeliveredTo(id); len(got) != 1 || got[0] != k {
			t.Errorf("message %s (shard %d) was delivered to shards %v", id, k, got)
		}
		if n := len(h.repliesTo(id, 1)); n != 1 {
			t.Errorf("message %s got %d replies", id, n)
		}
	}
	status := h.bot.Shards()
	if len(status) != 4 {
		t.Fatalf("Shards() = %+v", status)
	}
	for k, s := range status {
		if s.ID != k || s.Count != 4 || s.State != bot.ShardConnected || s.Reconnects != 0 {
			t.Errorf("shard %d status %+v", k, s)
		}
	}
	if err := h.bot.Ready(); err != nil {
		t.Errorf("Ready: %v", err)
	}
}

// A shard whose connection drops resumes on its own; the other shards
// keep their connections, and the dropped shard's server is answered
// afterwards.
func TestBot_Shards_ReconnectOfOneLeavesTheOthers(t *testing.T) {
	// Not parallel: the shards identify a window apart by the wall
	// clock, and other tests loading the machine would delay them unevenly.
	h, channels := fourShards(t)
	srv := h.srv
	sessionsBefore := shardOfSession(srv)
	if n := srv.DropShard(2); n != 1 {
		t.Fatalf("DropShard(2) cut %d connections", n)
	}
	h.waitBot("shard 2 reconnected", func() bool { return h.bot.Shards()[2].Reconnects == 1 && h.bot.Ready() == nil })
	for k, s := range h.bot.Shards() {
		if k != 2 && s.Reconnects != 0 {
			t.Errorf("shard %d reconnected too: %+v", k, s)
		}
	}
	resumes := srv.Resumes()
	if len(resumes) != 1 || resumes[0].Invalid || sessionsBefore[resumes[0].SessionID] != 2 {
		t.Fatalf("resumes %+v, want one, of shard 2's session", resumes)
	}
	if n := len(srv.Identifies()); n != 4 {
		t.Errorf("%d IDENTIFYs, want the 4 of the start", n)
	}
	m := h.post(fakediscord.MessageOptions{GuildID: fakediscord.GuildIDOnShard(2, 4, 2), ChannelID: channels[2],
		Attachments: []fakediscord.File{testImage(t, "digit-5.png")}})
	h.replyTo(m.ID)
}

// Shard settings Discord would refuse, and a start that would use up the
// session starts, fail Start with an error that says what to do.
func TestBot_Shards_BadSettingsRefused(t *testing.T) {
	t.Parallel()
	guilds, channels := shardGuilds(2)
	start := func(o harnessOptions) (*harness, error) {
		o.guilds, o.watched, o.globalCommands, o.noStart = guilds, channels, true, true
		h := newHarness(t, o)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return h, h.bot.Start(ctx)
	}
	closeCode := func(err error) int {
		var ge *bot.GatewayError
		if !errors.As(err, &ge) {
			t.Fatalf("err = %v, want a *bot.GatewayError", err)
		}
		if ge.Fix == "" {
			t.Errorf("%v: no fix", err)
		}
		return ge.CloseCode
	}
	t.Run("a shard id not below the count", func(t *testing.T) {
		o := defaultHarness()
		o.sharding = &bot.Sharding{Count: 2, IDs: []int{1, 2}}
		h, err := start(o)
		if code := closeCode(err); code != 4010 {
			t.Errorf("close code %d, want 4010", code)
		}
		if n := len(h.srv.Identifies()); n != 0 {
			t.Errorf("%d IDENTIFYs sent for a plan refused beforehand", n)
		}
	})
	t.Run("4010: a count Discord does not accept", func(t *testing.T) {
		o := defaultHarness()
		o.sharding = &bot.Sharding{Count: 2}
		o.serverSharding = fakediscord.ShardOptions{ShardCountMultiple: 4}
		_, err := start(o)
		if code := closeCode(err); code != 4010 {
			t.Errorf("close code %d, want 4010", code)
		}
	})
	t.Run("4011: one connection for too many servers", func(t *testing.T) {
		o := defaultHarness()
		o.sharding = &bot.Sharding{Count: 1}
		o.serverSharding = fakediscord.ShardOptions{MaxGuildsPerShard: 1}
		_, err := start(o)
		if code := closeCode(err); code != 4011 {
			t.Errorf("close code %d, want 4011", code)
		}
	})
	t.Run("too few session starts left", func(t *testing.T) {
		o := defaultHarness()
		o.sharding = &bot.Sharding{Count: 2}
		o.serverSharding = fakediscord.ShardOptions{SessionStarts: 1000}
		o.noStart = true
		o.guilds, o.watched, o.globalCommands = guilds, channels, true
		h := newHarness(t, o)
		h.srv.SetSessionStartsRemaining(1)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := h.bot.Start(ctx)
		var le *bot.SessionStartLimitError
		if !errors.As(err, &le) || le.Remaining != 1 || le.Needed != 2 {
			t.Fatalf("err = %v, want a *bot.SessionStartLimitError (1 left, 2 needed)", err)
		}
		if n := len(h.srv.Identifies()); n != 0 {
			t.Errorf("%d IDENTIFYs sent", n)
		}
	})
}
