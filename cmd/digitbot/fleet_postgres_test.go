package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/config"
	"github.com/digitbot/digitbot/fakediscord"
	"github.com/digitbot/digitbot/internal/digitbottest"
	"github.com/digitbot/digitbot/internal/pgtest"
)

// A fleet of three `digitbot run` processes sharing one PostgreSQL
// database, shard_count = 3 and shard_ids {0}, {1}, {2}: a user active in
// servers on all three shards sees all of it in `/stats scope:me` and
// `/export` from any of them, and one `/forget` through one process
// removes it from every shard, while another user's data stays.
//
// The three Runners live in this one test binary: the fake Discord is in
// process, and `digitbot run` has no setting that points a separate OS
// process at another Discord URL. Each Runner still has everything a
// process has of its own (session, classifier, admin server, database
// pool); what they share is only the fake Discord and the database.
func TestRunner_FleetOfThreeOnPostgres_OneForgetCoversEveryShard(t *testing.T) {
	t.Parallel()
	const shards = 3
	pg := pgtest.NewServer(t, pgtest.Options{}) // skips locally without postgresql, fails in CI
	// Generous: three classifier self-tests under -race on a busy machine.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	url, err := pg.CreateDatabase(ctx, "fleet")
	if err != nil {
		t.Fatal(err)
	}

	var guilds []fakediscord.GuildOptions
	var channels []string
	for k := range shards {
		id := fakediscord.GuildIDOnShard(k, shards, k)
		if got := fakediscord.ShardOf(id, shards); got != k {
			t.Fatalf("GuildIDOnShard(%d) is on shard %d", k, got)
		}
		ch := fakediscord.GuildIDOnShard(k, shards, 100+k)
		guilds = append(guilds, fakediscord.GuildOptions{ID: id, Name: "server " + strconv.Itoa(k), OwnerID: fakediscord.DefaultOwnerID,
			Channels: []fakediscord.ChannelOptions{{ID: ch, Name: "digits"}}})
		channels = append(channels, ch)
	}
	// max_concurrency 3: each shard has an identify bucket of its own, so
	// the processes need not wait for each other's turns.
	srv := fakediscord.New(t, fakediscord.Options{MessageContentAllowed: true, Guilds: guilds, MaxConcurrency: shards})

	runners := make([]*Runner, shards)
	runnerLogs := make([]*digitbottest.SyncBuffer, shards)
	for k := range shards {
		r, logs := newTestRunner(t, srv, srv.Token())
		runnerLogs[k] = logs
		r.Config.DevGuildID = "" // global commands, as in production
		r.Config.WatchedChannels = channels
		r.Config.Store, r.Config.DatabaseURL = config.StorePostgres, url
		r.Config.ShardCount = config.ShardCount{N: shards}
		r.Config.ShardIDs = config.ShardIDs{IDs: []int{k}}
		if err := r.Config.Validate(); err != nil {
			t.Fatal(err)
		}
		runners[k] = r
		t.Cleanup(func() {
			if err := r.Close(); err != nil {
				t.Errorf("process %d: Close: %v", k, err)
			}
			if t.Failed() {
				t.Logf("process %d logs:\n%s", k, logs.String())
			}
		})
		// One after the other: onnx-go's gorgonnx names graph nodes from a
		// package-level counter, so two classifier.New calls must not run
		// at once in one binary (separate processes would not share it).
		if err := r.Run(ctx); err != nil {
			t.Fatalf("process %d: Run: %v", k, err)
		}
		if r.Postgres == nil {
			t.Fatalf("process %d did not open the PostgreSQL store", k)
		}
	}
	if err := srv.WaitCommands(ctx, "", "stats", "export", "forget"); err != nil {
		t.Fatalf("commands not registered: %v", err)
	}

	alice := &discordgo.User{ID: "1300000000000000101", Username: "alice"}
	bob := &discordgo.User{ID: "1300000000000000102", Username: "bob"}

	// evaluate posts a picture in server k as who, checks that Discord
	// sent it to shard k only and that exactly one reply came, and
	// confirms the reply with the right digit.
	evaluate := func(k int, who *discordgo.User, file string, digit int) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join("..", "..", "bot", "testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		msg, err := srv.PostMessage(fakediscord.MessageOptions{GuildID: guilds[k].ID, ChannelID: channels[k], Author: who,
			Attachments: []fakediscord.File{{Name: file, Data: data}}})
		if err != nil {
			t.Fatal(err)
		}
		isReply := func(m *fakediscord.Message) bool {
			return m.Author != nil && m.Author.ID == srv.AppID() && m.MessageReference != nil && m.MessageReference.MessageID == msg.ID
		}
		reply, err := srv.WaitMessage(ctx, isReply)
		if err != nil {
			t.Fatalf("no reply to %s's upload in server %d: %v", who.Username, k, err)
		}
		if got := srv.DeliveredTo(msg.ID); !slices.Equal(got, []int{k}) {
			t.Errorf("the upload in server %d was delivered to shards %v, want [%d]", k, got, k)
		}
		label := strconv.Itoa(digit)
		customID := ""
		for _, b := range reply.Buttons() {
			if b.Label == label {
				customID = b.CustomID
			}
		}
		if customID == "" {
			t.Fatalf("the reply in server %d has no button %q: %+v", k, label, reply.Message)
		}
		press, err := srv.PressButton(fakediscord.ButtonOptions{Actor: fakediscord.Actor{User: who}, MessageID: reply.ID, CustomID: customID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := press.WaitFinal(ctx); err != nil {
			t.Fatalf("pressing %q in server %d: %v\nattempts: %+v", label, k, err, press.Attempts())
		}
		n := 0
		for _, m := range srv.Messages(channels[k]) {
			if isReply(m) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("the upload in server %d got %d replies, want 1", k, n)
		}
	}
	evaluate(0, alice, "digit-7.png", 7)
	evaluate(1, alice, "digit-2.png", 2)
	evaluate(2, alice, "digit-3.png", 3)
	evaluate(1, bob, "digit-4.png", 4)

	// Each upload and press was handled by the process of its server's
	// shard and by no other: the counters are per process.
	wantHandled := []float64{1, 2, 1}
	for k, r := range runners {
		metrics := scrapeMetrics(t, r.Admin.Addr())
		if got := metrics.sum("digitbot_predictions_total"); got != wantHandled[k] {
			t.Errorf("process %d classified %v pictures, want %v", k, got, wantHandled[k])
		}
		if got := metrics.sum("digitbot_evaluations_total"); got != wantHandled[k] {
			t.Errorf("process %d took %v presses, want %v", k, got, wantHandled[k])
		}
	}

	// command runs a slash command as alice in server k and returns what
	// she sees.
	command := func(k int, name string, options map[string]any) *fakediscord.Message {
		t.Helper()
		in, err := srv.RunSlashCommand(fakediscord.CommandOptions{Name: name, Options: options,
			Actor: fakediscord.Actor{User: alice, GuildID: guilds[k].ID, ChannelID: channels[k]}})
		if err != nil {
			t.Fatalf("/%s in server %d: %v", name, k, err)
		}
		m, err := in.WaitFinal(ctx)
		if err != nil {
			t.Fatalf("/%s in server %d: %v\nattempts: %+v", name, k, err, in.Attempts())
		}
		return m
	}

	// The process of shard 2 sees what the others stored.
	if text := messageText(command(2, "stats", map[string]any{"scope": "me"})); !strings.Contains(text, "3 evaluations") {
		t.Errorf("/stats scope:me in the server on shard 2 does not count alice's 3 evaluations:\n%s", text)
	}
	export := command(1, "export", nil)
	f, ok := export.File("digitbot-evaluations.csv")
	if !ok {
		t.Fatalf("/export sent no CSV: %q", export.Content)
	}
	rows, err := csv.NewReader(bytes.NewReader(f.Data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+3 {
		t.Errorf("/export has %d rows, want a header and alice's 3 evaluations:\n%s", len(rows), f.Data)
	}
	for _, guild := range guilds {
		if !bytes.Contains(f.Data, []byte(guild.ID)) {
			t.Errorf("/export lacks the evaluation in server %s:\n%s", guild.ID, f.Data)
		}
	}
	if bytes.Contains(f.Data, []byte(bob.ID)) || bytes.Contains(f.Data, []byte("digit-4.png")) {
		t.Errorf("/export holds bob's data:\n%s", f.Data)
	}

	// One /forget, through the process of shard 1.
	ask := command(1, "forget", nil)
	confirm := ""
	for _, b := range ask.Buttons() {
		if b.Label == "Delete my data" {
			confirm = b.CustomID
		}
	}
	if confirm == "" {
		t.Fatalf("/forget asks without a confirm button: %q", ask.Content)
	}
	press, err := srv.PressButton(fakediscord.ButtonOptions{Actor: fakediscord.Actor{User: alice}, MessageID: ask.ID, CustomID: confirm})
	if err != nil {
		t.Fatal(err)
	}
	done, err := press.WaitFinal(ctx)
	if err != nil {
		t.Fatalf("confirming /forget: %v\nattempts: %+v", err, press.Attempts())
	}
	if !strings.Contains(done.Content, "has been deleted") {
		t.Fatalf("after confirming /forget: %q", done.Content)
	}
	// The deletion was done by the process of shard 1 alone (it logs it
	// before showing "deleted").
	for k, logs := range runnerLogs {
		n := strings.Count(logs.String(), "user data deleted on request")
		want := 0
		if k == 1 {
			want = 1
		}
		if n != want {
			t.Errorf("process %d logged %d deletions, want %d", k, n, want)
		}
	}

	// Gone on every shard: the server on shard 0 sees nothing of her.
	if m := command(0, "stats", map[string]any{"scope": "me"}); !strings.Contains(m.Content, "No statistics") || len(m.Files) != 0 {
		t.Errorf("/stats scope:me in the server on shard 0 after /forget: %q, %d files", messageText(m), len(m.Files))
	}
	for k, r := range runners {
		history, err := r.Postgres.History(ctx, digitbot.Scope{UserID: alice.ID}, 0)
		if err != nil {
			t.Fatal(err)
		}
		stats, err := r.Postgres.Stats(ctx, digitbot.Scope{UserID: alice.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(history) != 0 || stats.Total != 0 {
			t.Errorf("process %d still has %d evaluations of alice (stats total %d)", k, len(history), stats.Total)
		}
		kept, err := r.Postgres.History(ctx, digitbot.Scope{UserID: bob.ID}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(kept) != 1 {
			t.Errorf("process %d has %d evaluations of bob, want his 1", k, len(kept))
		}
	}
}

// messageText is a message's content and embed text, for assertions.
func messageText(m *fakediscord.Message) string {
	var sb strings.Builder
	sb.WriteString(m.Content)
	for _, e := range m.Embeds {
		sb.WriteString("\n" + e.Title + "\n" + e.Description)
	}
	return sb.String()
}

// promMetrics are the samples of a Prometheus text exposition, by line.
type promMetrics []string

func scrapeMetrics(t *testing.T, addr string) promMetrics {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var lines promMetrics
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// sum adds the samples of a metric over all its labels.
func (p promMetrics) sum(name string) float64 {
	total := 0.0
	for _, line := range p {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || (rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		fields := strings.Fields(rest[strings.LastIndexByte(rest, '}')+1:])
		if len(fields) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(fields[0], 64); err == nil {
			total += v
		}
	}
	return total
}
