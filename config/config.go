// Package config loads digitbot's settings from a TOML file and from
// environment variables, which override the file. Every setting has a
// default that works for a first run; bad values are refused with the name
// of the key (and of its environment variable) and the reason.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/digitbot/digitbot"
)

// Config is the whole configuration of a running bot.
type Config struct {
	// Token is the bot token. It never comes from the config file (files get
	// committed and shared); only from DIGITBOT_TOKEN or the file TokenFile
	// names. It is never logged: Config's String method redacts it.
	Token     string `toml:"-"`
	TokenFile string `toml:"token_file"`

	DatabasePath string `toml:"database"`

	// WatchedChannels are channel ids where every image is classified,
	// in addition to those moderators add with /config. Needs the Message
	// Content intent.
	WatchedChannels      []string `toml:"watched_channels"`
	MessageContentIntent bool     `toml:"message_content_intent"`

	Threshold        float64 `toml:"threshold"`
	ImagesPerMessage int     `toml:"images_per_message"`
	MaxImageBytes    int64   `toml:"max_image_bytes"`
	MaxImagePixels   int     `toml:"max_image_pixels"`
	Workers          int     `toml:"workers"`
	QueueSize        int     `toml:"queue_size"`

	RateLimitPerMinute float64  `toml:"rate_limit_per_minute"`
	RateLimitBurst     int      `toml:"rate_limit_burst"`
	DownloadTimeout    Duration `toml:"download_timeout"`
	AllowedHosts       []string `toml:"allowed_hosts"`

	DefaultLocale string `toml:"default_locale"`
	DevGuildID    string `toml:"dev_guild_id"`

	// ShardCount is the bot's number of shards (Discord's sharding):
	// "auto" asks Discord. ShardIDs are the shards this process runs (all
	// when empty); a fleet of processes splits them, with one shard_count.
	// ShardID is the older one-shard form of ShardIDs, still read; use
	// Sharding() rather than these fields.
	ShardCount ShardCount `toml:"shard_count"`
	ShardIDs   ShardIDs   `toml:"shard_ids"`
	ShardID    *int       `toml:"shard_id"`

	AdminAddr string `toml:"admin_addr"`
	LogLevel  string `toml:"log_level"`
	LogFormat string `toml:"log_format"`

	PendingTTL     Duration `toml:"pending_ttl"`
	BackupDir      string   `toml:"backup_dir"`
	BackupInterval Duration `toml:"backup_interval"`
	BackupKeep     int      `toml:"backup_keep"`
}

// Duration is a time.Duration written as "90s", "6h" in files and variables.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like 30s, 15m or 6h", string(b))
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// Default returns the configuration used for every key the file and the
// environment leave out.
func Default() Config {
	return Config{
		DatabasePath:         "digitbot.db",
		MessageContentIntent: true,
		Threshold:            digitbot.DefaultThreshold,
		ImagesPerMessage:     4,
		MaxImageBytes:        digitbot.DefaultMaxImageBytes,
		MaxImagePixels:       digitbot.DefaultMaxImagePixels,
		Workers:              0, // one per CPU
		QueueSize:            64,
		RateLimitPerMinute:   12,
		RateLimitBurst:       6,
		DownloadTimeout:      Duration{15 * time.Second},
		AllowedHosts:         digitbot.DiscordCDNHosts(),
		DefaultLocale:        string(digitbot.LangEnglish),
		AdminAddr:            "127.0.0.1:9090",
		LogLevel:             "info",
		LogFormat:            "json",
		PendingTTL:           Duration{7 * 24 * time.Hour},
		BackupInterval:       Duration{6 * time.Hour},
		BackupKeep:           7,
	}
}

// ErrNoToken is returned by Load when neither DIGITBOT_TOKEN nor a token
// file gives a token.
var ErrNoToken = errors.New("no bot token: set the environment variable DIGITBOT_TOKEN, " +
	"or DIGITBOT_TOKEN_FILE (or token_file in the config file) to a file holding it; " +
	"the token is on the Bot page of your application in the Discord Developer Portal")

// ValidationError names the key whose value is wrong and why.
type ValidationError struct {
	Key    string // file key, e.g. "threshold"
	Env    string // environment variable, e.g. "DIGITBOT_THRESHOLD"
	Value  string
	Reason string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("config: %s (%s) = %q: %s", e.Key, e.Env, e.Value, e.Reason)
}

// envName is the environment variable that overrides a file key.
func envName(key string) string { return "DIGITBOT_" + strings.ToUpper(key) }

// Load reads the file at path (none if path is empty), applies environment
// overrides read through getenv (os.LookupEnv in production), reads the
// token, and validates. A missing token is ErrNoToken, reported after the
// other errors so a user fixes the file first.
func Load(path string, getenv func(string) (string, bool)) (Config, error) {
	cfg := Default()
	if path != "" {
		md, err := toml.DecodeFile(path, &cfg)
		if err != nil {
			return Config{}, fmt.Errorf("config: reading %s: %w", path, err)
		}
		if undec := md.Undecoded(); len(undec) > 0 {
			key := undec[0].String()
			if key == "token" {
				return Config{}, &ValidationError{Key: key, Env: "DIGITBOT_TOKEN", Value: "(redacted)",
					Reason: "the token is never read from the config file; set DIGITBOT_TOKEN or token_file"}
			}
			return Config{}, &ValidationError{Key: key, Env: "-", Reason: "unknown key (misspelt?)"}
		}
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		return Config{}, err
	}
	if len(cfg.WatchedChannels) == 0 {
		cfg.WatchedChannels = nil // "watched_channels = []" means the default: none
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	if err := cfg.loadToken(getenv); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func (c *Config) loadToken(getenv func(string) (string, bool)) error {
	if v, ok := getenv("DIGITBOT_TOKEN"); ok && strings.TrimSpace(v) != "" {
		c.Token = strings.TrimSpace(v)
		return nil
	}
	if c.TokenFile == "" {
		return ErrNoToken
	}
	b, err := os.ReadFile(c.TokenFile)
	if err != nil {
		return &ValidationError{Key: "token_file", Env: envName("token_file"), Value: c.TokenFile, Reason: "cannot read the token file: " + errors.Unwrap(err).Error()}
	}
	c.Token = strings.TrimSpace(string(b))
	if c.Token == "" {
		return &ValidationError{Key: "token_file", Env: envName("token_file"), Value: c.TokenFile, Reason: "the token file is empty"}
	}
	return nil
}

// applyEnv overrides file values with DIGITBOT_<KEY> variables.
func applyEnv(c *Config, getenv func(string) (string, bool)) error {
	str := func(key string, dst *string) {
		if v, ok := getenv(envName(key)); ok {
			*dst = strings.TrimSpace(v)
		}
	}
	list := func(key string, dst *[]string) {
		if v, ok := getenv(envName(key)); ok {
			*dst = splitList(v)
		}
	}
	var firstErr error
	parse := func(key string, set func(string) error) {
		v, ok := getenv(envName(key))
		if !ok || firstErr != nil {
			return
		}
		v = strings.TrimSpace(v)
		if err := set(v); err != nil {
			firstErr = &ValidationError{Key: key, Env: envName(key), Value: v, Reason: err.Error()}
		}
	}
	intVar := func(dst *int) func(string) error {
		return func(v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return errors.New("not a whole number")
			}
			*dst = n
			return nil
		}
	}
	floatVar := func(dst *float64) func(string) error {
		return func(v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return errors.New("not a number")
			}
			*dst = f
			return nil
		}
	}
	durVar := func(dst *Duration) func(string) error {
		return func(v string) error { return dst.UnmarshalText([]byte(v)) }
	}
	str("token_file", &c.TokenFile)
	str("database", &c.DatabasePath)
	list("watched_channels", &c.WatchedChannels)
	list("allowed_hosts", &c.AllowedHosts)
	str("default_locale", &c.DefaultLocale)
	str("dev_guild_id", &c.DevGuildID)
	str("admin_addr", &c.AdminAddr)
	str("log_level", &c.LogLevel)
	str("log_format", &c.LogFormat)
	str("backup_dir", &c.BackupDir)
	parse("message_content_intent", func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("not true or false")
		}
		c.MessageContentIntent = b
		return nil
	})
	parse("threshold", floatVar(&c.Threshold))
	parse("images_per_message", intVar(&c.ImagesPerMessage))
	parse("max_image_bytes", func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return errors.New("not a whole number of bytes")
		}
		c.MaxImageBytes = n
		return nil
	})
	parse("max_image_pixels", intVar(&c.MaxImagePixels))
	parse("workers", intVar(&c.Workers))
	parse("shard_id", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return errors.New("not a whole number")
		}
		c.ShardID = &n
		return nil
	})
	if v, ok := getenv(envName("shard_count")); ok {
		c.ShardCount.parse(v)
	}
	if v, ok := getenv(envName("shard_ids")); ok {
		c.ShardIDs.parse(v)
	}
	parse("queue_size", intVar(&c.QueueSize))
	parse("rate_limit_per_minute", floatVar(&c.RateLimitPerMinute))
	parse("rate_limit_burst", intVar(&c.RateLimitBurst))
	parse("download_timeout", durVar(&c.DownloadTimeout))
	parse("pending_ttl", durVar(&c.PendingTTL))
	parse("backup_interval", durVar(&c.BackupInterval))
	parse("backup_keep", intVar(&c.BackupKeep))
	return firstErr
}

func splitList(v string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, strings.TrimSpace(f))
	}
	return out
}

// Validate checks every value and returns the first bad one.
func (c Config) Validate() error {
	bad := func(key, value, reason string) error {
		return &ValidationError{Key: key, Env: envName(key), Value: value, Reason: reason}
	}
	num := func(v any) string { return fmt.Sprint(v) }
	switch {
	case c.DatabasePath == "":
		return bad("database", "", "must name the database file")
	case !digitbot.ValidThreshold(c.Threshold):
		return bad("threshold", num(c.Threshold), "must be between 0 and 1 (e.g. 0.70)")
	case c.ImagesPerMessage < 1 || c.ImagesPerMessage > 10:
		return bad("images_per_message", num(c.ImagesPerMessage), "must be from 1 to 10 (Discord allows 10 attachments)")
	case c.MaxImageBytes < 1024 || c.MaxImageBytes > 100<<20:
		return bad("max_image_bytes", num(c.MaxImageBytes), "must be from 1024 to 104857600")
	case c.MaxImagePixels < 28*28 || c.MaxImagePixels > 200_000_000:
		return bad("max_image_pixels", num(c.MaxImagePixels), "must be from 784 to 200000000")
	case c.Workers < 0 || c.Workers > 256:
		return bad("workers", num(c.Workers), "must be from 0 (one per CPU) to 256")
	case c.QueueSize < 1 || c.QueueSize > 100_000:
		return bad("queue_size", num(c.QueueSize), "must be from 1 to 100000")
	case c.RateLimitPerMinute <= 0:
		return bad("rate_limit_per_minute", num(c.RateLimitPerMinute), "must be above 0")
	case c.RateLimitBurst < 1:
		return bad("rate_limit_burst", num(c.RateLimitBurst), "must be at least 1")
	case c.DownloadTimeout.Duration < time.Second || c.DownloadTimeout.Duration > 2*time.Minute:
		return bad("download_timeout", c.DownloadTimeout.String(), "must be from 1s to 2m")
	case len(c.AllowedHosts) == 0:
		return bad("allowed_hosts", "", "must list at least one host (Discord's CDN: cdn.discordapp.com, media.discordapp.net)")
	case !validLang(c.DefaultLocale):
		return bad("default_locale", c.DefaultLocale, `must be "en" or "es"`)
	case c.PendingTTL.Duration < time.Minute:
		return bad("pending_ttl", c.PendingTTL.String(), "must be at least 1m")
	case c.BackupDir != "" && c.BackupInterval.Duration < time.Minute:
		return bad("backup_interval", c.BackupInterval.String(), "must be at least 1m")
	case c.BackupKeep < 1:
		return bad("backup_keep", num(c.BackupKeep), "must be at least 1")
	}
	if err := c.validateSharding(); err != nil {
		return err
	}
	for _, h := range c.AllowedHosts {
		if h == "" || strings.ContainsAny(h, "/:@ ") {
			return bad("allowed_hosts", h, "must be bare host names like cdn.discordapp.com")
		}
	}
	for _, id := range c.WatchedChannels {
		if !digitbot.ValidSnowflake(id) {
			return bad("watched_channels", id, "must be channel ids (numbers; right-click a channel → Copy Channel ID)")
		}
	}
	if c.DevGuildID != "" && !digitbot.ValidSnowflake(c.DevGuildID) {
		return bad("dev_guild_id", c.DevGuildID, "must be a server id (a number)")
	}
	if c.AdminAddr != "" {
		if _, _, err := net.SplitHostPort(c.AdminAddr); err != nil {
			return bad("admin_addr", c.AdminAddr, `must be host:port like 127.0.0.1:9090 (empty turns it off)`)
		}
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		return bad("log_level", c.LogLevel, "must be debug, info, warn or error")
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return bad("log_format", c.LogFormat, `must be "json" or "text"`)
	}
	return nil
}

func validLang(s string) bool {
	_, err := digitbot.ParseLang(s)
	return err == nil
}

// String describes the configuration for logs, with the token redacted.
func (c Config) String() string {
	token := "unset"
	if c.Token != "" {
		token = "set (redacted)"
	}
	count, ids := c.Sharding()
	shards := "all"
	if len(ids) > 0 {
		shards = ShardIDs{IDs: ids}.String()
	}
	return fmt.Sprintf("token=%s database=%s watched_channels=%v message_content_intent=%t threshold=%.2f admin_addr=%s backup_dir=%q shard_count=%s shard_ids=%s",
		token, c.DatabasePath, c.WatchedChannels, c.MessageContentIntent, c.Threshold, c.AdminAddr, c.BackupDir, ShardCount{N: count}, shards)
}

// GoString keeps the token out of %#v too.
func (c Config) GoString() string { return c.String() }

// LogValue keeps the token out of slog lines that log a Config.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }
