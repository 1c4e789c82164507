package digitbot_test

import (
	"math"
	"strings"
	"testing"

	"github.com/digitbot/digitbot"
)

func TestValidSnowflake(t *testing.T) {
	for id, want := range map[string]bool{
		"123456789012345678":   true,
		"18446744073709551615": true,  // max uint64
		"18446744073709551616": false, // one more
		"0":                    true,
		"":                     false,
		"-1":                   false,
		"12a":                  false,
		" 12":                  false,
	} {
		if got := digitbot.ValidSnowflake(id); got != want {
			t.Errorf("ValidSnowflake(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestGuildConfig_Validate(t *testing.T) {
	many := make([]string, digitbot.MaxWatchedChannels+1)
	for i := range many {
		many[i] = "1"
	}
	for name, tc := range map[string]struct {
		cfg  digitbot.GuildConfig
		want string // "" = valid; else a part of the message
	}{
		"defaults":           {digitbot.GuildConfig{GuildID: "1"}, ""},
		"threshold and list": {digitbot.GuildConfig{GuildID: "1", Threshold: 0.9, WatchedChannels: []string{"2", "3"}}, ""},
		"no server":          {digitbot.GuildConfig{}, "server id"},
		"threshold 1":        {digitbot.GuildConfig{GuildID: "1", Threshold: 1}, "threshold"},
		"negative threshold": {digitbot.GuildConfig{GuildID: "1", Threshold: -0.5}, "threshold"},
		"channel not an id":  {digitbot.GuildConfig{GuildID: "1", WatchedChannels: []string{"#general"}}, `"#general"`},
		"too many channels":  {digitbot.GuildConfig{GuildID: "1", WatchedChannels: many}, "At most 100"},
		"learning off":       {digitbot.GuildConfig{GuildID: "1", Learning: digitbot.LearningOff}, ""},
		"learning on":        {digitbot.GuildConfig{GuildID: "1", Learning: digitbot.LearningOn}, ""},
		"learning other":     {digitbot.GuildConfig{GuildID: "1", Learning: "no"}, `"no"`},
	} {
		err := tc.cfg.Validate()
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if err == nil || digitbot.ErrorCode(err) != digitbot.EINVALID || !strings.Contains(digitbot.ErrorMessage(err), tc.want) {
			t.Errorf("%s: err = %v, want EINVALID mentioning %q", name, err, tc.want)
		}
	}
}

func TestGuildConfig_ContributesByDefault(t *testing.T) {
	for learning, want := range map[string]bool{"": true, digitbot.LearningOn: true, digitbot.LearningOff: false} {
		if got := (digitbot.GuildConfig{GuildID: "1", Learning: learning}).Contributes(); got != want {
			t.Errorf("Learning %q: Contributes() = %v, want %v", learning, got, want)
		}
	}
}

func TestParseLang(t *testing.T) {
	for _, s := range []string{"en", "es"} {
		if l, err := digitbot.ParseLang(s); err != nil || string(l) != s {
			t.Errorf("ParseLang(%q) = %q, %v", s, l, err)
		}
	}
	for _, s := range []string{"", "EN", "es-ES", "fr"} {
		if l, err := digitbot.ParseLang(s); err == nil {
			t.Errorf("ParseLang(%q) = %q, want an error", s, l)
		}
	}
}

func TestLangOfLocale(t *testing.T) {
	for locale, want := range map[string]digitbot.Lang{
		"es": digitbot.LangSpanish, "es-ES": digitbot.LangSpanish, "ES-419": digitbot.LangSpanish,
		"en-US": digitbot.LangEnglish, "": digitbot.LangEnglish, "fr": digitbot.LangEnglish, "est": digitbot.LangEnglish,
	} {
		if got := digitbot.LangOfLocale(locale); got != want {
			t.Errorf("LangOfLocale(%q) = %q, want %q", locale, got, want)
		}
	}
}

func TestReducedSize_KeepsTheSmallestDigitAt40Pixels(t *testing.T) {
	for _, c := range []struct {
		w, h, ww, wh int
		ok           bool
	}{
		{4000, 3000, 640, 480, true},
		{3000, 4000, 480, 640, true},
		{1080, 1080, 480, 480, true},
		{959, 2000, 959, 2000, false}, // the shorter side is under twice MinReadSide
		{400, 400, 400, 400, false},
		{0, 100, 0, 100, false},
		{4001, 3001, 640, 480, true}, // rounded up: never under MinReadSide
	} {
		w, h, ok := digitbot.ReducedSize(c.w, c.h)
		if w != c.ww || h != c.wh || ok != c.ok {
			t.Errorf("ReducedSize(%d, %d) = %d, %d, %v; want %d, %d, %v", c.w, c.h, w, h, ok, c.ww, c.wh, c.ok)
		}
		if ok && min(w, h)/digitbot.DigitsPerShortSide < digitbot.MinDigitPixels {
			t.Errorf("ReducedSize(%d, %d) = %dx%d leaves the smallest digit under %d px", c.w, c.h, w, h, digitbot.MinDigitPixels)
		}
	}
}

// TestPrediction_Validate: the rule both stores apply before saving.
func TestPrediction_Validate(t *testing.T) {
	one := digitbot.Prediction{UserID: "42", Digit: 7, Confidence: 0.9}
	one.Probabilities[7] = 0.9
	number := digitbot.Prediction{UserID: "42", Digit: -1, Number: "12", Confidence: 0.8,
		Digits: []digitbot.DigitReading{{Digit: 1, Confidence: 0.9}, {Digit: 2, Confidence: 0.9}}}
	if err := one.Validate(); err != nil {
		t.Fatalf("a one-digit prediction: %v", err)
	}
	if err := number.Validate(); err != nil {
		t.Fatalf("a number: %v", err)
	}
	bad := map[string]func(p *digitbot.Prediction){
		"no user":             func(p *digitbot.Prediction) { p.UserID = "" },
		"digit 10":            func(p *digitbot.Prediction) { p.Digit = 10 },
		"confidence NaN":      func(p *digitbot.Prediction) { p.Confidence = math.NaN() },
		"probability 1.5":     func(p *digitbot.Prediction) { p.Probabilities[3] = 1.5 },
		"id with a slash":     func(p *digitbot.Prediction) { p.ID = "a/b" },
		"number not digits":   func(p *digitbot.Prediction) { p.Number = "8" },
		"too many digits":     func(p *digitbot.Prediction) { p.Digits = make([]digitbot.DigitReading, digitbot.MaxNumberDigits+1) },
		"one reading differs": func(p *digitbot.Prediction) { p.Digits = []digitbot.DigitReading{{Digit: 3, Confidence: 0.9}} },
	}
	for name, spoil := range bad {
		p := one
		spoil(&p)
		if err := p.Validate(); digitbot.ErrorCode(err) != digitbot.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
	if !digitbot.ValidID("a-Z_09") || digitbot.ValidID("") || digitbot.ValidID(strings.Repeat("a", 65)) {
		t.Error("ValidID")
	}
}

// TestEvaluation_CSVRecord: one row per evaluation under the header, and a
// file name that a spreadsheet would run as a formula is defused.
func TestEvaluation_CSVRecord(t *testing.T) {
	e := digitbot.Evaluation{PredictionID: "p1", UserID: "42", FileName: "=HYPERLINK(\"x\")", Predicted: 3, Confidence: 0.5, TrueDigit: 3}
	row := e.CSVRecord()
	if len(row) != len(digitbot.CSVHeader()) {
		t.Fatalf("%d cells under %d columns", len(row), len(digitbot.CSVHeader()))
	}
	if row[4] != `'=HYPERLINK("x")` || row[8] != "true" || row[13] != "false" {
		t.Fatalf("row = %q", row)
	}
}
