package bot_test

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/digitbot/digitbot/fakediscord"
	"github.com/digitbot/digitbot/internal/digitbottest"
)

// bigPhoto is a 1280x960 JPEG of paper with the test 7 drawn 4 times
// larger inside digitBox: over twice what the classifier needs, so the bot
// should ask the media proxy for a smaller copy.
func bigPhoto(t *testing.T) (fakediscord.File, image.Rectangle) {
	t.Helper()
	src, err := png.Decode(bytes.NewReader(testImage(t, "digit-7.png").Data))
	if err != nil {
		t.Fatal(err)
	}
	const scale = 4
	sb := src.Bounds()
	digitBox := image.Rect(600, 250, 600+scale*sb.Dx(), 250+scale*sb.Dy())
	// Grey: decoding and resizing it is cheap enough for -race.
	img := image.NewGray(image.Rect(0, 0, 1280, 960))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.Gray{232}), image.Point{}, draw.Src)
	for y := range digitBox.Dy() {
		for x := range digitBox.Dx() {
			img.Set(digitBox.Min.X+x, digitBox.Min.Y+y, src.At(sb.Min.X+x/scale, sb.Min.Y+y/scale))
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return fakediscord.File{Name: "photo.jpg", ContentType: "image/jpeg", Data: b.Bytes()}, digitBox
}

func TestBot_BigPhoto_IsFetchedDownscaledFromTheMediaProxy(t *testing.T) {
	t.Parallel()
	h := newHarness(t, realHarness())
	photo, digitBox := bigPhoto(t)
	msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{photo}})
	r := h.replyTo(msg.ID)
	if len(r.Embeds) != 1 || !strings.HasPrefix(r.Embeds[0].Description, "# 7") {
		t.Fatalf("reply %q %s, want a 7", r.Content, embedText(r))
	}
	if st := h.srv.CDNStats(); st.Resized != 1 || st.Originals != 0 {
		t.Errorf("downloads %+v, want one resized copy and no original", st)
	}
	// The stored box is in the attachment's pixels, not the copy's.
	id := strings.Split(r.Buttons()[0].CustomID, ":")[1]
	p, err := h.st.Prediction(h.ctx(), id)
	if err != nil {
		t.Fatal(err)
	}
	b := p.Digits[0].Box
	got := image.Rect(b[0], b[1], b[0]+b[2], b[1]+b[3])
	if !got.In(digitBox.Inset(-10)) || got.Dx() < digitBox.Dx()/4 || got.Dy() < digitBox.Dy()/2 {
		t.Errorf("box %v, want it inside the digit's %v (original pixels)", got, digitBox)
	}
}

func TestBot_MediaProxyFailure_FallsBackToTheOriginal(t *testing.T) {
	t.Parallel()
	photo, _ := bigPhoto(t)
	for name, fault := range map[string]fakediscord.MediaProxyFault{
		"error status":  fakediscord.MediaProxyError,
		"not an image":  fakediscord.MediaProxyWrongType,
		"corrupt image": fakediscord.MediaProxyCorrupt,
		"size ignored":  fakediscord.MediaProxyIgnoresSize,
		"no answer":     fakediscord.MediaProxyHang,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o := defaultHarness()
			o.downloadTimeout = 2 * time.Second // the proxy gets half of it
			// It is the real decoder that refuses a corrupt copy; in the
			// other cases the reading comes from the original's bytes,
			// which the classifier double knows.
			o.real = fault == fakediscord.MediaProxyCorrupt
			h := newHarness(t, o)
			if h.cls != nil {
				h.cls.Script(photo.Data, digitbottest.Digit(7, 0.98))
			}
			h.srv.SetMediaProxyFault(fault)
			msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{photo}})
			r := h.replyTo(msg.ID)
			if len(r.Embeds) != 1 || !strings.HasPrefix(r.Embeds[0].Description, "# 7") {
				t.Fatalf("reply %q %s, want a 7", r.Content, embedText(r))
			}
			if st := h.srv.CDNStats(); st.Resized != 1 || st.Originals != 1 {
				t.Errorf("downloads %+v, want the resized copy tried, then the original", st)
			}
		})
	}
}

func TestBot_SmallImage_IsFetchedWhole(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-7.png")}})
	h.replyTo(msg.ID)
	if st := h.srv.CDNStats(); st.Resized != 0 || st.Originals != 1 {
		t.Errorf("downloads %+v, want the original only", st)
	}
}
