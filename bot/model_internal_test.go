package bot

import (
	"strings"
	"testing"

	"github.com/digitbot/digitbot"
)

func TestModelEmbed_SaysWhichModelAndWhereItsDataCameFrom(t *testing.T) {
	card := digitbot.ModelCard{Name: "digitbot-mnist-cnn", ONNXSHA256: "ab12", TrainingData: []digitbot.DataSource{
		{Name: "MNIST", Train: 55000, HeldOut: 5000, Test: 10000, TestCorrect: 9950},
		{Name: "confirmed samples", DatasheetSHA256: "0123456789abcdef0123", Samples: 400, Corrections: 120, Train: 320, HeldOut: 80, HeldOutCorrect: 76},
	}}
	text := func(l lang, source string) string {
		e := modelEmbed(l, card, source)
		var b strings.Builder
		for _, f := range e.Fields {
			b.WriteString(f.Name + ": " + f.Value + "\n")
		}
		return b.String()
	}
	en := text(langEN, "/srv/digitbot/models/digits-2026-12.onnx")
	for _, want := range []string{"from the file `digits-2026-12.onnx`", "MNIST: 55,000 digits trained on, 5,000 held out",
		"400 digits confirmed by members (export `0123456789ab…`, 120 corrections of wrong answers): 320 trained on, 80 held out (95.0% of those right)"} {
		if !strings.Contains(en, want) {
			t.Errorf("/model lacks %q:\n%s", want, en)
		}
	}
	if strings.Contains(en, "/srv/digitbot") {
		t.Errorf("/model shows the host's directories:\n%s", en)
	}
	es := text(langES, "")
	for _, want := range []string{"el incluido en el bot", "400 dígitos confirmados por miembros"} {
		if !strings.Contains(es, want) {
			t.Errorf("Spanish /model lacks %q:\n%s", want, es)
		}
	}
	card.TrainingData = nil
	if old := text(langEN, ""); !strings.Contains(old, "this card does not list its data") {
		t.Errorf("a card without training_data:\n%s", old)
	}
}
