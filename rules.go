package digitbot

import (
	"fmt"
	"math"
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

// DiscordMediaProxyHost is Discord's media proxy, the host of an
// attachment's proxy_url: the only URL the bot downloads from it.
const DiscordMediaProxyHost = "media.discordapp.net"

// MinDigitPixels is the least height, in pixels, a digit needs in the
// picture the classifier reads: below it strokes merge and MNIST's 20-pixel
// box is upscaled from too little.
const MinDigitPixels = 40

// DigitsPerShortSide: the smallest plausible digit in an upload is a
// twelfth of the picture's shorter side tall (a number of MaxNumberDigits
// digits written across a square picture; a digit photographed from a
// reasonable distance is much larger).
const DigitsPerShortSide = 12

// MinReadSide is the shorter side a picture needs so that its smallest
// plausible digit keeps MinDigitPixels: anything larger may be read at a
// reduced size (fetched downscaled, or decoded at a reduced scale).
const MinReadSide = MinDigitPixels * DigitsPerShortSide

// ReducedSize returns the size to read a width×height picture at: its
// shorter side brought to MinReadSide (rounded up), keeping the aspect
// ratio. ok is false when the picture is not at least twice that in both
// dimensions, i.e. when reducing it would not save at least three quarters
// of the pixels.
func ReducedSize(width, height int) (w, h int, ok bool) {
	short := min(width, height)
	if width <= 0 || height <= 0 || short < 2*MinReadSide {
		return width, height, false
	}
	w = int((int64(width)*MinReadSide + int64(short) - 1) / int64(short))
	h = int((int64(height)*MinReadSide + int64(short) - 1) / int64(short))
	return w, h, true
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

// Validate checks what a store may hold (both stores apply it before a
// prediction is saved): a user id, a well-formed id if one is set, a
// one-digit reading (Digit 0-9, at most one digit reading, of the same
// digit) or a number (Digit -1, up to MaxNumberDigits readings, Number
// their digits), and probabilities and confidences between 0 and 1.
// Refusals are EINVALID with a message a user may read.
func (p *Prediction) Validate() error {
	switch {
	case p.UserID == "":
		return Errorf(EINVALID, "A prediction needs the id of the user who posted the image.")
	case !validProbability(p.Confidence):
		return Errorf(EINVALID, "The confidence must be between 0 and 1.")
	case p.ID != "" && !ValidID(p.ID):
		return Errorf(EINVALID, "A prediction id must be 1-64 letters, digits, '-' or '_'.")
	case len(p.Digits) > MaxNumberDigits:
		return Errorf(EINVALID, "A reading holds at most %d digits, not %d.", MaxNumberDigits, len(p.Digits))
	case p.IsNumber() && p.Digit != -1:
		return Errorf(EINVALID, "A number reading has digit -1, not %d.", p.Digit)
	case !p.IsNumber() && (p.Digit < 0 || p.Digit > 9):
		return Errorf(EINVALID, "The predicted digit must be between 0 and 9, not %d.", p.Digit)
	case len(p.Digits) == 1 && p.Digits[0].Digit != p.Digit:
		return Errorf(EINVALID, "A one-digit reading's digit (%d) differs from the prediction's (%d).", p.Digits[0].Digit, p.Digit)
	}
	if err := validProbabilities(&p.Probabilities); err != nil {
		return err
	}
	number := make([]byte, 0, len(p.Digits))
	for i := range p.Digits {
		d := &p.Digits[i]
		if d.Digit < 0 || d.Digit > 9 {
			return Errorf(EINVALID, "Digit %d of the reading is %d, not 0-9.", i+1, d.Digit)
		}
		if !validProbability(d.Confidence) {
			return Errorf(EINVALID, "The confidence of digit %d must be between 0 and 1.", i+1)
		}
		if err := validProbabilities(&d.Probabilities); err != nil {
			return err
		}
		number = append(number, byte('0'+d.Digit))
	}
	switch {
	case p.Number == "":
	case len(p.Digits) > 0 && p.Number != string(number):
		return Errorf(EINVALID, "The number %q does not match its digit readings %q.", p.Number, number)
	case len(p.Digits) == 0 && p.Number != strconv.Itoa(p.Digit):
		return Errorf(EINVALID, "The number %q does not match the digit %d.", p.Number, p.Digit)
	}
	return nil
}

func validProbabilities(probs *[10]float64) error {
	for _, f := range probs {
		if !validProbability(f) {
			return Errorf(EINVALID, "Probabilities must be between 0 and 1.")
		}
	}
	return nil
}

// ValidID reports whether id can name a prediction: 1-64 ASCII letters,
// digits, '-' or '_' (what the stores draw, and what a custom_id can carry).
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func validProbability(f float64) bool { return !math.IsNaN(f) && f >= 0 && f <= 1 }

// CheckTrueDigit refuses (EINVALID) a member's verdict digit outside 0-9.
func CheckTrueDigit(d int) error {
	if d < 0 || d > 9 {
		return Errorf(EINVALID, "The true digit must be between 0 and 9, not %d.", d)
	}
	return nil
}

// CheckTrueNumber refuses (EINVALID) a member's verdict number that is not
// 1 to MaxNumberDigits digits 0-9, quoting at most twice that many bytes
// of it back.
func CheckTrueNumber(s string) error {
	if ValidNumber(s) {
		return nil
	}
	if len(s) > 2*MaxNumberDigits {
		s = s[:2*MaxNumberDigits] + "…"
	}
	return Errorf(EINVALID, "The true number must be 1 to %d digits 0-9, not %q.", MaxNumberDigits, s)
}
