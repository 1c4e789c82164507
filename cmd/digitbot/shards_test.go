package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/digitbot/digitbot/config"
	"github.com/digitbot/digitbot/fakediscord"
)

// A fleet of two `digitbot run` processes on one bot, shard_count = 4
// with shard_ids 0-1 and 2-3: each server's upload is answered once, and
// each process's /healthz and /metrics list its own shards. (Each has a
// bbolt file of its own here; a fleet sharing users' data uses the
// PostgreSQL store.)
func TestRunner_FleetOfTwo_EachRunsItsShards(t *testing.T) {
	t.Parallel()
	var guilds []fakediscord.GuildOptions
	var channels []string
	for k := range 4 {
		ch := fakediscord.GuildIDOnShard(k, 4, 1000+k)
		guilds = append(guilds, fakediscord.GuildOptions{ID: fakediscord.GuildIDOnShard(k, 4, k), Name: "g", OwnerID: fakediscord.DefaultOwnerID,
			Channels: []fakediscord.ChannelOptions{{ID: ch, Name: "digits"}}})
		channels = append(channels, ch)
	}
	// max_concurrency 4: every shard may identify at once.
	srv := fakediscord.New(t, fakediscord.Options{MessageContentAllowed: true, Guilds: guilds, MaxConcurrency: 4})
	ranges := [][]int{{0, 1}, {2, 3}}
	runners := make([]*Runner, len(ranges))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errs := make([]error, len(ranges))
	for i, ids := range ranges {
		r, logs := newTestRunner(t, srv, srv.Token())
		r.Config.DevGuildID = ""
		r.Config.WatchedChannels = channels
		r.Config.ShardCount = config.ShardCount{N: 4}
		r.Config.ShardIDs = config.ShardIDs{IDs: ids}
		runners[i] = r
		t.Cleanup(func() {
			r.Close()
			if t.Failed() {
				t.Logf("process %d logs:\n%s", i, logs.String())
			}
		})
		// One after the other: a fleet's processes start separately, and
		// onnx-go's gorgonnx names graph nodes from a package-level
		// counter, so two classifiers must not be built at once in one
		// test binary.
		errs[i] = r.Run(ctx)
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("process %d: Run: %v", i, err)
		}
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "bot", "testdata", "digit-7.png"))
	if err != nil {
		t.Fatal(err)
	}
	var posted []string
	for k, ch := range channels {
		m, err := srv.PostMessage(fakediscord.MessageOptions{GuildID: guilds[k].ID, ChannelID: ch, Attachments: []fakediscord.File{{Name: "7.png", Data: data}}})
		if err != nil {
			t.Fatal(err)
		}
		posted = append(posted, m.ID)
	}
	isReplyTo := func(id string) func(*fakediscord.Message) bool {
		return func(m *fakediscord.Message) bool {
			return m.MessageReference != nil && m.MessageReference.MessageID == id
		}
	}
	for _, id := range posted {
		if _, err := srv.WaitMessage(ctx, isReplyTo(id)); err != nil {
			t.Fatalf("no reply to %s: %v", id, err)
		}
	}
	for k, id := range posted {
		n := 0
		for _, m := range srv.Messages(channels[k]) {
			if isReplyTo(id)(m) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("upload on shard %d got %d replies", k, n)
		}
	}
	for i, r := range runners {
		resp, err := http.Get("http://" + r.Admin.Addr() + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		var health struct {
			Status string
			Shards []struct {
				ID    int    `json:"id"`
				State string `json:"state"`
			}
		}
		_ = json.NewDecoder(resp.Body).Decode(&health)
		resp.Body.Close()
		var ids []int
		for _, s := range health.Shards {
			if s.State != "connected" {
				t.Errorf("process %d: shard %d is %s", i, s.ID, s.State)
			}
			ids = append(ids, s.ID)
		}
		if health.Status != "ok" || !slices.Equal(ids, ranges[i]) {
			t.Errorf("process %d /healthz: %+v, want shards %v", i, health, ranges[i])
		}
		resp, err = http.Get("http://" + r.Admin.Addr() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, k := range ranges[i] {
			if want := `digitbot_shard_connected{shard="` + string(rune('0'+k)) + `"} 1`; !strings.Contains(string(body), want) {
				t.Errorf("process %d /metrics lacks %s", i, want)
			}
		}
	}
}

// Shard settings Discord refuses stop `digitbot run` with exit code 1
// and what to change, before anything else happens; so do too few
// session starts left.
func TestRunner_ShardSettingsRefused_SayWhatToChange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts fakediscord.ShardOptions
		left int
		want string
	}{
		{name: "4010", opts: fakediscord.ShardOptions{ShardCountMultiple: 4}, want: "shard_count"},
		{name: "session starts", left: 1, want: "session starts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakediscord.New(t, fakediscord.Options{MessageContentAllowed: true, Sharding: tc.opts, MaxConcurrency: 2})
			if tc.left > 0 {
				srv.SetSessionStartsRemaining(tc.left)
			}
			r, logs := newTestRunner(t, srv, srv.Token())
			r.Config.ShardCount = config.ShardCount{N: 2}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := r.Run(ctx)
			r.Close()
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(ee.msg, tc.want) {
				t.Fatalf("Run = %v, want exit 1 saying %q\n%s", err, tc.want, logs.String())
			}
		})
	}
}
