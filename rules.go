package digitbot

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Default limits on an image, for the bot's downloads and the classifier's
// decoder. Discord's free upload limit is 10 MiB; 40 megapixels is a phone
// photo with room to spare, and bounds the memory a decoded image takes.
const (
	DefaultMaxImageBytes  = 10 << 20
	DefaultMaxImagePixels = 40_000_000
)

// MaxWatchedChannels bounds a server's watched channel list.
const MaxWatchedChannels = 100

// DiscordCDNHosts are the hosts Discord serves attachments from: the only
// hosts the bot downloads from unless configured otherwise. A function, so
// that no caller can change the list for everyone.
func DiscordCDNHosts() []string {
	return []string{"cdn.discordapp.com", "media.discordapp.net"}
}

// IsDiscordCDNHost reports whether host is one of DiscordCDNHosts.
func IsDiscordCDNHost(host string) bool {
	return slices.Contains(DiscordCDNHosts(), host)
}

// ValidThreshold reports whether t can be a confidence threshold: strictly
// between 0 (everything sure) and 1 (nothing sure).
func ValidThreshold(t float64) bool { return t > 0 && t < 1 }

// ValidSnowflake reports whether id looks like a Discord id: a decimal
// number that fits in a uint64.
func ValidSnowflake(id string) bool {
	if id == "" || len(id) > 20 {
		return false
	}
	_, err := strconv.ParseUint(id, 10, 64)
	return err == nil
}

// Validate checks what a server's moderators set: Threshold 0 (the bot's
// default) or a ValidThreshold, Learning empty (on), LearningOn or
// LearningOff, at most MaxWatchedChannels channels, each a
// Discord id. Errors are EINVALID *Error whose message can be shown to the
// moderator.
func (c GuildConfig) Validate() error {
	if c.GuildID == "" {
		return Errorf(EINVALID, "A server id is required.")
	}
	if c.Threshold != 0 && !ValidThreshold(c.Threshold) {
		return Errorf(EINVALID, "The confidence threshold must be between 0 and 1 (exclusive), or 0 for the default.")
	}
	if c.Learning != "" && c.Learning != LearningOn && c.Learning != LearningOff {
		return Errorf(EINVALID, "Learning must be %q or %q, not %q.", LearningOn, LearningOff, c.Learning)
	}
	if len(c.WatchedChannels) > MaxWatchedChannels {
		return Errorf(EINVALID, "At most %d channels can be watched.", MaxWatchedChannels)
	}
	for _, ch := range c.WatchedChannels {
		if !ValidSnowflake(ch) {
			return Errorf(EINVALID, "%q is not a channel id (a Discord id is a number).", ch)
		}
	}
	return nil
}

// Lang is a language the bot answers in.
type Lang string

// The languages the bot speaks.
const (
	LangEnglish Lang = "en"
	LangSpanish Lang = "es"
)

// ParseLang reads a language code as an operator writes it in a
// configuration file or a flag: exactly "en" or "es".
func ParseLang(s string) (Lang, error) {
	switch l := Lang(s); l {
	case LangEnglish, LangSpanish:
		return l, nil
	}
	return "", fmt.Errorf("unknown language %q: use en or es", s)
}

// LangOfLocale maps a Discord locale ("es-ES", "es-419", "en-US", ...) or
// a short code ("es", "en") to the language to answer in: anything not
// Spanish is English, since Discord has locales the bot does not speak.
func LangOfLocale(locale string) Lang {
	if l := strings.ToLower(locale); l == "es" || strings.HasPrefix(l, "es-") {
		return LangSpanish
	}
	return LangEnglish
}
