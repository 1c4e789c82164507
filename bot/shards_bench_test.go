package bot_test

import (
	"context"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot/bot"
	"github.com/digitbot/digitbot/fakediscord"
)

// heapMB is the Go heap in use after a collection, in MB.
func heapMB() float64 {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse) / (1 << 20)
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBot_Shards runs 1 and 16 shards in one process on the fake
// server (which runs in the same process, on the same cores) and reports:
//   - events/s: gateway MESSAGE_CREATEs dispatched and handled per second,
//     ordinary chat (no image, no mention) spread over every shard's
//     server, the kind of message a bot ignores; a round ends when each
//     shard has answered a mention posted after its chat (events of one
//     session are handled in order);
//   - cpu-us/msg: process CPU time (bot, discordgo and the fake server)
//     per message; "raw-discordgo" runs the same traffic into bare
//     discordgo sessions whose handler only answers the mentions, so the
//     difference is the bot's own cost of an ignored message;
//   - heap-per-shard-MB: the growth of the Go heap from before Start to
//     after it, per shard (the fake server's side of each connection
//     included); rss-MB: the process's RSS after Start. Run each case in
//     a process of its own to compare RSS: it does not shrink after a case.
func BenchmarkBot_Shards(b *testing.B) {
	for _, bc := range []struct {
		shards int
		raw    bool
	}{{1, false}, {16, false}, {16, true}} {
		name := "shards=" + strconv.Itoa(bc.shards)
		if bc.raw {
			name = "raw-discordgo-shards=" + strconv.Itoa(bc.shards)
		}
		b.Run(name, func(b *testing.B) {
			shards := bc.shards
			const chatPerShard = 200
			guilds, channels := shardGuilds(shards)
			o := realHarness()
			o.guilds, o.watched, o.globalCommands, o.noStart = guilds, channels, true, true
			o.sharding = &bot.Sharding{Count: shards}
			o.maxConcurrency = shards // every shard identifies at once
			o.heartbeat = 41250 * time.Millisecond
			h := newHarness(b, o)
			heap0 := heapMB()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if bc.raw {
				startRaw(b, h.srv, shards)
			} else if err := h.bot.Start(ctx); err != nil {
				b.Fatal(err)
			}
			heap1 := heapMB()
			rss1 := rssMB(b)

			chatter := &discordgo.User{ID: "1400000000000000001", Username: "chatter"}
			var handled int
			var took, cpu time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start, cpu0 := time.Now(), cpuTime(b)
				for n := range chatPerShard * shards {
					k := n % shards
					if _, err := h.srv.PostMessage(fakediscord.MessageOptions{GuildID: guilds[k].ID, ChannelID: channels[k], Author: chatter, Content: "just chatting"}); err != nil {
						b.Fatal(err)
					}
				}
				var sentinels []string
				for k := range shards {
					m, err := h.srv.PostMessage(fakediscord.MessageOptions{GuildID: guilds[k].ID, ChannelID: channels[k], Author: benchUser(i*shards + k), Content: "hey", MentionBot: true})
					if err != nil {
						b.Fatal(err)
					}
					sentinels = append(sentinels, m.ID)
				}
				for _, id := range sentinels {
					if _, err := h.srv.WaitMessage(ctx, func(m *fakediscord.Message) bool {
						return m.MessageReference != nil && m.MessageReference.MessageID == id
					}); err != nil {
						b.Fatalf("no answer to the mention %s: %v", id, err)
					}
				}
				took += time.Since(start)
				cpu += cpuTime(b) - cpu0
				handled += chatPerShard*shards + shards
			}
			b.StopTimer()
			// ResetTimer drops metrics reported before it.
			b.ReportMetric((heap1-heap0)/float64(shards), "heap-per-shard-MB")
			b.ReportMetric(rss1, "rss-MB")
			b.ReportMetric(float64(handled)/took.Seconds(), "events/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(handled), "cpu-us/msg")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// startRaw connects bare discordgo sessions, one per shard, that answer
// mentions and nothing else: the baseline of BenchmarkBot_Shards.
func startRaw(b *testing.B, srv *fakediscord.Server, shards int) {
	for k := range shards {
		dg, err := srv.NewSession(discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages | discordgo.IntentMessageContent)
		if err != nil {
			b.Fatal(err)
		}
		dg.ShardID, dg.ShardCount = k, shards
		dg.SyncEvents = true
		appID := srv.AppID()
		dg.AddHandler(func(s *discordgo.Session, m *discordgo.MessageCreate) {
			for _, u := range m.Mentions {
				if u.ID == appID {
					go func() { _, _ = s.ChannelMessageSendReply(m.ChannelID, "attach an image", m.Reference()) }()
				}
			}
		})
		if err := dg.Open(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = dg.Close() })
	}
}
