package config_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/digitbot/digitbot/config"
)

// env builds a getenv function from pairs.
func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad_DefaultsWithTokenFromEnv(t *testing.T) {
	cfg, err := config.Load("", env("DIGITBOT_TOKEN", " abc.def "))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Token != "abc.def" {
		t.Errorf("token = %q, want trimmed", cfg.Token)
	}
	if cfg.Threshold != 0.70 || cfg.DatabasePath != "digitbot.db" || !cfg.MessageContentIntent {
		t.Errorf("defaults wrong: %+v", cfg)
	}
}

func TestLoad_NoToken_NamesTheVariable(t *testing.T) {
	_, err := config.Load("", env())
	if !errors.Is(err, config.ErrNoToken) {
		t.Fatalf("err = %v, want ErrNoToken", err)
	}
	if !strings.Contains(err.Error(), "DIGITBOT_TOKEN") || !strings.Contains(err.Error(), "DIGITBOT_TOKEN_FILE") {
		t.Errorf("message does not name the variables: %v", err)
	}
}

func TestLoad_FileThenEnvOverrides(t *testing.T) {
	tokenPath := writeFile(t, "token", "from-file\n")
	path := writeFile(t, "digitbot.toml", fmt.Sprintf(`
token_file = %q
database = "/data/x.db"
watched_channels = ["123", "456"]
threshold = 0.8
backup_dir = "/backups"
backup_interval = "12h"
`, tokenPath))
	cfg, err := config.Load(path, env("DIGITBOT_THRESHOLD", "0.65", "DIGITBOT_WATCHED_CHANNELS", "789, 1011"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Token != "from-file" || cfg.DatabasePath != "/data/x.db" {
		t.Errorf("file values not read: %+v", cfg)
	}
	if cfg.Threshold != 0.65 {
		t.Errorf("env did not override threshold: %v", cfg.Threshold)
	}
	if strings.Join(cfg.WatchedChannels, ",") != "789,1011" {
		t.Errorf("watched = %v", cfg.WatchedChannels)
	}
	if cfg.BackupInterval.Duration != 12*time.Hour {
		t.Errorf("backup_interval = %v", cfg.BackupInterval)
	}
}

func TestLoad_BadValues_NameKeyAndReason(t *testing.T) {
	tests := []struct {
		file string
		env  []string
		key  string
	}{
		{file: "threshold = 1.5", key: "threshold"},
		{env: []string{"DIGITBOT_THRESHOLD", "lots"}, key: "threshold"},
		{file: `watched_channels = ["general"]`, key: "watched_channels"},
		{file: "images_per_message = 0", key: "images_per_message"},
		{file: `default_locale = "fr"`, key: "default_locale"},
		{file: `admin_addr = "9090"`, key: "admin_addr"},
		{env: []string{"DIGITBOT_DOWNLOAD_TIMEOUT", "soon"}, key: "download_timeout"},
		{file: `allowed_hosts = ["https://evil.example/"]`, key: "allowed_hosts"},
		{file: "thresold = 0.5", key: "thresold"},
		{file: "shard_count = 2\nshard_id = 2", key: "shard_id"},
		{env: []string{"DIGITBOT_SHARD_COUNT", "0"}, key: "shard_count"},
		{file: `shard_count = "many"`, key: "shard_count"},
		{file: "shard_count = 0", key: "shard_count"},
		{file: "shard_count = 1.5", key: "shard_count"},
		{file: `shard_count = 4` + "\n" + `shard_ids = "0-4"`, key: "shard_ids"},
		{file: `shard_ids = "0-3"`, key: "shard_ids"},
		{file: `shard_count = 8` + "\n" + `shard_ids = "5-3"`, key: "shard_ids"},
		{file: `shard_count = 8` + "\n" + `shard_ids = "0-3,2"`, key: "shard_ids"},
		{file: `shard_count = 8` + "\n" + `shard_ids = "a-b"`, key: "shard_ids"},
		{file: `shard_count = 8` + "\n" + `shard_ids = ["1"]`, key: "shard_ids"},
		{file: "shard_count = 8\nshard_id = 1\nshard_ids = \"2\"", key: "shard_id"},
		{file: "shard_id = 3", key: "shard_id"},
		{env: []string{"DIGITBOT_SHARD_IDS", "0-3"}, key: "shard_ids"},
		{file: `token_file = "/does/not/exist"`, key: "token_file"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = writeFile(t, "c.toml", tt.file)
			}
			_, err := config.Load(path, env(tt.env...))
			var ve *config.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *ValidationError", err)
			}
			if ve.Key != tt.key || ve.Reason == "" {
				t.Errorf("key = %q reason = %q, want key %q", ve.Key, ve.Reason, tt.key)
			}
		})
	}
}

func TestLoad_TokenNotAcceptedInFile(t *testing.T) {
	path := writeFile(t, "c.toml", `token = "secret"`)
	_, err := config.Load(path, env())
	var ve *config.ValidationError
	if !errors.As(err, &ve) || ve.Key != "token" {
		t.Fatalf("a token in the file must be refused, got %v", err)
	}
}

func TestConfig_NeverPrintsToken(t *testing.T) {
	cfg, err := config.Load("", env("DIGITBOT_TOKEN", "super-secret-token"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("start", "config", cfg)
	out := buf.String() + fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg)
	if strings.Contains(out, "super-secret-token") {
		t.Fatalf("token leaked: %s", out)
	}
}

// The example file documents every key with its default: keep it true.
func TestExampleFile_ListsEveryKeyWithItsDefault(t *testing.T) {
	cfg, err := config.Load("../config.example.toml", env("DIGITBOT_TOKEN", "x"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Token = ""
	if want := config.Default(); !reflect.DeepEqual(cfg, want) {
		t.Errorf("example file differs from Default():\n got %+v\nwant %+v", fields(cfg), fields(want))
	}
	body, err := os.ReadFile("../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"token_file", "database", "watched_channels", "message_content_intent", "threshold",
		"images_per_message", "max_image_bytes", "max_image_pixels", "workers", "queue_size",
		"rate_limit_per_minute", "rate_limit_burst", "download_timeout", "allowed_hosts", "default_locale",
		"dev_guild_id", "shard_ids", "shard_count", "admin_addr", "log_level", "log_format", "pending_ttl", "backup_dir", "backup_interval", "backup_keep"} {
		if !strings.Contains(string(body), key+" =") {
			t.Errorf("example file does not document %s", key)
		}
	}
}

// fields prints a Config without its String method, for diffs.
func fields(c config.Config) string {
	type plain config.Config
	return fmt.Sprintf("%+v", plain(c))
}

func TestLoad_Sharding(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		env       []string
		wantCount int // 0: auto
		wantIDs   []int
	}{
		{name: "default is auto, every shard"},
		{name: "auto written out", file: `shard_count = "auto"`},
		{name: "fixed count, every shard", file: "shard_count = 4", wantCount: 4},
		{name: "a range of a fleet", file: "shard_count = 32\nshard_ids = \"16-31\"", wantCount: 32, wantIDs: seq(16, 31)},
		{name: "ids and ranges", file: "shard_count = 8\nshard_ids = \"6, 0,2-3\"", wantCount: 8, wantIDs: []int{0, 2, 3, 6}},
		{name: "an array", file: "shard_count = 8\nshard_ids = [3, 1]", wantCount: 8, wantIDs: []int{1, 3}},
		{name: "older shard_id", file: "shard_count = 2\nshard_id = 1", wantCount: 2, wantIDs: []int{1}},
		{name: "older example file: 0 of 1", file: "shard_count = 1\nshard_id = 0", wantCount: 1, wantIDs: []int{0}},
		{name: "older shard_id 0 alone is the whole bot", file: "shard_id = 0"},
		{name: "environment", env: []string{"DIGITBOT_SHARD_COUNT", "16", "DIGITBOT_SHARD_IDS", "0-7"}, wantCount: 16, wantIDs: seq(0, 7)},
		{name: "environment auto over a file", file: "shard_count = 4", env: []string{"DIGITBOT_SHARD_COUNT", "auto"}},
		{name: "environment older shard_id", env: []string{"DIGITBOT_SHARD_COUNT", "3", "DIGITBOT_SHARD_ID", "2"}, wantCount: 3, wantIDs: []int{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = writeFile(t, "c.toml", tt.file)
			}
			cfg, err := config.Load(path, env(append([]string{"DIGITBOT_TOKEN", "x"}, tt.env...)...))
			if err != nil {
				t.Fatal(err)
			}
			count, ids := cfg.Sharding()
			if count != tt.wantCount || !reflect.DeepEqual(ids, tt.wantIDs) && len(ids)+len(tt.wantIDs) > 0 {
				t.Errorf("Sharding() = %d, %v; want %d, %v", count, ids, tt.wantCount, tt.wantIDs)
			}
			if (count == 0) != cfg.ShardCount.Auto() {
				t.Errorf("Auto() = %v with count %d", cfg.ShardCount.Auto(), count)
			}
		})
	}
}

func TestShardIDs_StringIsRanges(t *testing.T) {
	path := writeFile(t, "c.toml", "shard_count = 40\nshard_ids = \"0-15,20,22-23\"")
	cfg, err := config.Load(path, env("DIGITBOT_TOKEN", "x"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.ShardIDs.String(); got != "0-15,20,22-23" {
		t.Errorf("String() = %q", got)
	}
	if got := cfg.ShardCount.String(); got != "40" {
		t.Errorf("count String() = %q", got)
	}
}

func seq(a, b int) []int {
	var out []int
	for i := a; i <= b; i++ {
		out = append(out, i)
	}
	return out
}
