package bot

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/internal/digitbottest"
)

func TestOrdinal_EachLanguage(t *testing.T) {
	t.Parallel()
	en := map[int]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 10: "10th", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 22: "22nd"}
	for n, want := range en {
		if got := langEN.ordinal(n, true); got != want {
			t.Errorf("en ordinal(%d) = %q, want %q", n, got, want)
		}
	}
	for _, c := range []struct {
		n          int
		beforeNoun bool
		want       string
	}{{1, true, "1.er"}, {3, true, "3.er"}, {2, true, "2.º"}, {1, false, "1.º"}, {3, false, "3.º"}, {12, true, "12.º"}} {
		if got := langES.ordinal(c.n, c.beforeNoun); got != c.want {
			t.Errorf("es ordinal(%d, %v) = %q, want %q", c.n, c.beforeNoun, got, c.want)
		}
	}
}

func TestUnsureAbout_NamesEveryUnsureDigit(t *testing.T) {
	t.Parallel()
	if got := langEN.unsureAbout([]int{0, 2, 3}, 0.7); !strings.Contains(got, "the 1st, 3rd and 4th digits") {
		t.Errorf("en: %q", got)
	}
	if got := langES.unsureAbout([]int{1}, 0.7); !strings.Contains(got, "del 2.º dígito") || !strings.Contains(got, "70,0 %") {
		t.Errorf("es: %q", got)
	}
}

func TestCorrectionModal_WithinDiscordsLimits(t *testing.T) {
	t.Parallel()
	id := strings.Repeat("p", 64) // the longest prediction id a store accepts
	for _, l := range []lang{langEN, langES} {
		resp := correctionModal(l, id, "123456789012")
		d := resp.Data
		if resp.Type != discordgo.InteractionResponseModal || utf8.RuneCountInString(d.Title) > maxModalTitle || len(d.CustomID) > maxCustomID {
			t.Errorf("%v: modal %+v", l, d)
		}
		row := d.Components[0].(discordgo.ActionsRow)
		in := row.Components[0].(discordgo.TextInput)
		if utf8.RuneCountInString(in.Label) > maxInputLabel || utf8.RuneCountInString(in.Placeholder) > 100 ||
			in.MinLength != 1 || in.MaxLength != digitbot.MaxNumberDigits || in.Style != discordgo.TextInputShort || !in.Required || in.Value != "123456789012" {
			t.Errorf("%v: input %+v", l, in)
		}
	}
}

func TestNumberButtons_IDsRoundTripAndFit(t *testing.T) {
	t.Parallel()
	buttons, err := numberButtons(langEN, "01hzzzzzzzzzzzzz", "123456789012", nil)
	if err != nil {
		t.Fatal(err)
	}
	row := buttons[0].(discordgo.ActionsRow)
	for k, prefix := range []string{numRightPrefix, numFixPrefix} {
		b := row.Components[k].(discordgo.Button)
		id, reading, err := parseNumberCustomID(prefix, b.CustomID)
		if err != nil || id != "01hzzzzzzzzzzzzz" || reading != "123456789012" || b.Disabled {
			t.Errorf("%s: %q → %q %q %v", prefix, b.CustomID, id, reading, err)
		}
	}
	if _, err := numberButtons(langEN, strings.Repeat("p", 90), "2026", nil); err == nil {
		t.Errorf("a custom_id over 100 characters was accepted")
	}
	for _, bad := range []string{"numok:", "numok:p1", "numok:p1:", "numok:p1:12a", "numfix:p1:2026", "numok::2026", "numok:p1:1234567890123"} {
		if _, _, err := parseNumberCustomID(numRightPrefix, bad); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
}

func TestNumberButtons_AfterAVerdict_DisabledAndShowingIt(t *testing.T) {
	t.Parallel()
	e := digitbot.Evaluation{Predicted: -1, TrueDigit: -1, Number: &digitbot.NumberVerdict{Predicted: "2026", True: "2028"}}
	buttons, err := numberButtons(langEN, "p1", "2026", &e)
	if err != nil {
		t.Fatal(err)
	}
	row := buttons[0].(discordgo.ActionsRow)
	right, fix := row.Components[0].(discordgo.Button), row.Components[1].(discordgo.Button)
	if !right.Disabled || !fix.Disabled || fix.Style != discordgo.DangerButton || fix.Label != "✏️ 2028" {
		t.Errorf("buttons after a correction: %+v %+v", right, fix)
	}
}

func TestNumbersSummary_EmptyWithoutNumbers(t *testing.T) {
	t.Parallel()
	if s := numbersSummary(langEN, digitbot.NumberStats{}); s != "" {
		t.Errorf("summary without numbers: %q", s)
	}
}

// BenchmarkRenderNumber measures building the answer to a twelve-digit
// number: the embed, the buttons and the 1,410x112 "what I saw" strip.
func BenchmarkRenderNumber(b *testing.B) {
	bot := &Bot{seenEnc: newSeenEncoder()}
	p := digitbottest.Number("202620262026", 0.99, 0.98, 0.6, 0.97, 0.99, 0.98, 0.6, 0.97, 0.99, 0.98, 0.6, 0.97)
	p.ID = "01hzzzzzzzzzzzzz"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bot.renderNumber(langEN, p, 0.7, 1); err != nil {
			b.Fatal(err)
		}
	}
}
