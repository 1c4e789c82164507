package bot_test

import (
	"bytes"
	"image"
	"image/draw"
	"image/png"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/fakediscord"
)

// numberPicture pastes testdata digits side by side, as a number written
// on one line, and returns it as a PNG.
func numberPicture(t *testing.T, names ...string) fakediscord.File {
	t.Helper()
	var digits []image.Image
	width, height := 0, 0
	for _, n := range names {
		img, err := png.Decode(bytes.NewReader(testImage(t, n).Data))
		if err != nil {
			t.Fatal(err)
		}
		digits = append(digits, img)
		width += img.Bounds().Dx()
		height = max(height, img.Bounds().Dy())
	}
	out := image.NewGray(image.Rect(0, 0, width, height))
	x := 0
	for _, d := range digits {
		draw.Draw(out, image.Rect(x, 0, x+d.Bounds().Dx(), d.Bounds().Dy()), d, d.Bounds().Min, draw.Src)
		x += d.Bounds().Dx()
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		t.Fatal(err)
	}
	return fakediscord.File{Name: "number.png", Data: buf.Bytes()}
}

// TestNumbers_RealClassifierAndStore reads a number with the embedded model
// and the bbolt store, end to end: the reply, the modal, the verdict.
func TestNumbers_RealClassifierAndStore(t *testing.T) {
	t.Parallel()
	h := newHarness(t, realHarness())
	msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{numberPicture(t, "digit-7.png", "digit-2.png")}})
	r := h.replyTo(msg.ID)
	if !strings.Contains(embedText(r), "# 72") || len(r.Buttons()) != 2 {
		t.Fatalf("the model's reading of 7 and 2 side by side:\n%s\nlogs:\n%s", embedText(r), h.logs.String())
	}
	in := h.press(r, buttonID(t, r, "✏️ Correct it"), alice, "en-US")
	if in.Response().Type != int(discordgo.InteractionResponseModal) {
		t.Fatalf("no modal: %+v", in.Attempts())
	}
	sub, err := h.srv.SubmitModal(fakediscord.ModalSubmitOptions{Opened: in, Values: map[string]string{"number": "712"}})
	if err != nil {
		t.Fatal(err)
	}
	if m := h.final(sub); !strings.Contains(embedText(m), "❌ It was 712") {
		t.Errorf("answer:\n%s", embedText(m))
	}
	evals, err := h.st.History(h.ctx(), digitbot.Scope{UserID: aliceID}, 0)
	if err != nil || len(evals) != 1 || evals[0].Number == nil || !evals[0].SegmentationError() {
		t.Fatalf("stored %+v %v", evals, err)
	}
}
