package bot_test

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/bot"
	"github.com/digitbot/digitbot/fakediscord"
	"github.com/digitbot/digitbot/internal/digitbottest"
)

// shardBot builds (without starting) a bot for one shard on srv.
func shardBot(t *testing.T, srv *fakediscord.Server, shardID, shardCount int, identifyInterval time.Duration) (*bot.Bot, *digitbottest.SyncBuffer) {
	t.Helper()
	// These bots only connect: the doubles stand in for the model and store.
	cls, db := digitbottest.NewClassifier(), digitbottest.NewStore()
	sess, err := discordgo.New("Bot " + srv.Token())
	if err != nil {
		t.Fatal(err)
	}
	srv.Configure(sess)
	sess.ShardID, sess.ShardCount = shardID, shardCount
	logs := &digitbottest.SyncBuffer{}
	b, err := bot.New(bot.Options{Session: sess, Classifier: cls, Store: db,
		Render: func(digitbot.Stats, bot.ChartRequest) ([]byte, error) { return nil, nil },
		Logger: slog.New(slog.NewJSONHandler(logs, nil)), HTTPClient: srv.HTTPClient(),
		Config: bot.Config{DevGuildID: guildID, IdentifyInterval: identifyInterval, ReadyTimeout: 20 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = b.Shutdown(ctx)
	})
	return b, logs
}

// Two shards started at the same moment with max_concurrency 1 share a
// rate_limit_key: shard 1 must identify a window after shard 0, and
// neither may be refused with op 9.
func TestBot_Shards_IdentifyInTurn(t *testing.T) {
	// Not parallel: the shards identify a window apart by the wall clock,
	// and other tests loading the machine would delay them unevenly.
	const window = time.Second
	srv := fakediscord.New(t, fakediscord.Options{MaxConcurrency: 1, IdentifyInterval: window})
	bots := make([]*bot.Bot, 2)
	logs := make([]*digitbottest.SyncBuffer, 2)
	for i := range bots {
		bots[i], logs[i] = shardBot(t, srv, i, 2, window+200*time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, b := range bots {
		wg.Go(func() { errs[i] = b.Start(ctx) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("shard %d: Start: %v\n%s", i, err, logs[i].String())
		}
	}
	var at [2]time.Time
	for _, id := range srv.Identifies() {
		if id.RateLimited {
			t.Errorf("an IDENTIFY of shard %v came too fast and got op 9", id.Shard)
		}
		if id.Shard != nil && id.CloseCode == 0 && !id.RateLimited {
			at[id.Shard[0]] = id.Time
		}
	}
	if at[0].IsZero() || at[1].IsZero() || at[1].Sub(at[0]) < window {
		t.Errorf("identified at %v and %v: shard 1 must wait %s after shard 0", at[0], at[1], window)
	}
}

// A shard whose IDENTIFY is refused with op 9 (another process of the bot
// identified just before) still starts: Start waits for the READY that
// discordgo's next IDENTIFY brings instead of failing.
func TestBot_Start_WaitsForREADYAfterAnInvalidSession(t *testing.T) {
	t.Parallel()
	// The server's clock stands still until the bot's IDENTIFY has been
	// refused, so the refusal happens however slow the machine is; then
	// the window passes and the next IDENTIFY gets READY.
	const window = 300 * time.Millisecond
	clock := fakediscord.NewFakeClock(time.Unix(1_800_000_000, 0))
	srv := fakediscord.New(t, fakediscord.Options{MaxConcurrency: 1, IdentifyInterval: window, Clock: clock})
	refused, cancelRefused := context.WithTimeout(context.Background(), 20*time.Second) // the Start deadline below
	defer cancelRefused()
	go func() {
		err := srv.WaitUntil(refused, func() bool {
			return slices.ContainsFunc(srv.Identifies(), func(id fakediscord.IdentifyInfo) bool { return id.RateLimited })
		})
		if err == nil {
			clock.Advance(window)
		}
	}()
	other, err := srv.NewSession(discordgo.IntentsGuilds)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.ShouldReconnectOnError = false; _ = other.Close() })
	b, logs := shardBot(t, srv, 0, 1, window)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Start(ctx); err != nil {
		t.Fatalf("Start: %v\n%s", err, logs.String())
	}
	limited := 0
	for _, id := range srv.Identifies() {
		if id.RateLimited {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("no IDENTIFY was refused: the test did not exercise op 9")
	}
	t.Logf("%d IDENTIFYs refused with op 9 before READY (discordgo identifies again at once)", limited)
}
