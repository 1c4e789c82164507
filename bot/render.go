package bot

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
)

// Embed colours: green when confident, red when unsure (the original app
// showed low confidences in red), the original theme's amber for neutral
// answers.
const (
	colorConfident = 0x2ECC71
	colorUnsure    = 0xE74C3C
	colorNeutral   = 0xF2A416
)

// seenScale is how much "what I saw" is enlarged: 28 px × 8 = 224 px.
const seenScale = 8

// Custom id prefixes of the components the bot creates.
const (
	evalPrefix   = "eval"
	forgetPrefix = "forget"
)

// maxCustomID is Discord's limit on a component's custom_id.
const maxCustomID = 100

// pngBuffers lets a png.Encoder reuse its compressor between pictures:
// without it each "what I saw" allocated 1.2 MB and took 2 ms, with it
// 1 KB and 0.4 ms.
type pngBuffers struct{ pool sync.Pool }

func (p *pngBuffers) Get() *png.EncoderBuffer {
	b, _ := p.pool.Get().(*png.EncoderBuffer)
	return b
}

func (p *pngBuffers) Put(b *png.EncoderBuffer) { p.pool.Put(b) }

// newSeenEncoder is the encoder for "what I saw" pictures.
func newSeenEncoder() *png.Encoder {
	return &png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &pngBuffers{}}
}

// seenPNG draws the model's 28x28 input as a PNG, scaled up with nearest
// neighbour so each input pixel stays a crisp square. It keeps the model's
// view: white ink on black.
func seenPNG(enc *png.Encoder, input [digitbot.InputSide * digitbot.InputSide]uint8, scale int) ([]byte, error) {
	side := digitbot.InputSide * scale
	img := image.NewGray(image.Rect(0, 0, side, side))
	for y := 0; y < side; y++ {
		row := input[(y/scale)*digitbot.InputSide:]
		line := img.Pix[y*img.Stride:]
		for x := 0; x < side; x++ {
			line[x] = row[x/scale]
		}
	}
	var buf bytes.Buffer
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// seenName is the file name of the n-th "what I saw" picture in a message.
func seenName(n int) string { return "seen-" + strconv.Itoa(n) + ".png" }

// predictionEmbed is the answer to one image: the digit large, the
// confidence, the next two candidates, the colour by threshold and the
// "what I saw" thumbnail (attachment://seen-n.png).
func predictionEmbed(l lang, p digitbot.Prediction, threshold float64, seen string) *discordgo.MessageEmbed {
	ranked := p.Ranked()
	sure := p.Confidence >= threshold
	color, verdict := colorConfident, l.t("pred.sure", l.pct(threshold))
	if !sure {
		color, verdict = colorUnsure, l.t("pred.unsure", l.pct(threshold))
	}
	next := make([]string, 0, 2)
	for _, c := range ranked[1:3] {
		next = append(next, fmt.Sprintf("**%d** · %s", c.Digit, l.pct(c.Probability)))
	}
	footer := l.t("pred.ask")
	if p.FileName != "" {
		footer = l.t("pred.file", clip(p.FileName, shownFileNameMax)) + " · " + footer
	}
	e := &discordgo.MessageEmbed{
		Title:       fmt.Sprintf("%s: %d", l.t("pred.title"), p.Digit),
		Description: fmt.Sprintf("# %d\n%s", p.Digit, verdict),
		Color:       color,
		Fields: []*discordgo.MessageEmbedField{
			{Name: l.t("pred.confidence"), Value: "**" + l.pct(p.Confidence) + "**", Inline: true},
			{Name: l.t("pred.next"), Value: strings.Join(next, "\n"), Inline: true},
			{Name: l.t("pred.seen"), Value: "\u200b", Inline: false},
		},
		Footer: &discordgo.MessageEmbedFooter{Text: footer},
	}
	if seen != "" {
		e.Thumbnail = &discordgo.MessageEmbedThumbnail{URL: "attachment://" + seen}
	}
	return e
}

// evalCustomID is the custom_id of the button saying the true digit was d.
func evalCustomID(predictionID string, d int) string {
	return evalPrefix + ":" + predictionID + ":" + strconv.Itoa(d)
}

// parseEvalCustomID splits "eval:<predictionID>:<digit>".
func parseEvalCustomID(id string) (predictionID string, digit int, err error) {
	rest, ok := strings.CutPrefix(id, evalPrefix+":")
	i := strings.LastIndexByte(rest, ':')
	if !ok || i <= 0 {
		return "", 0, fmt.Errorf("bad evaluation custom_id %q", id)
	}
	digit, err = strconv.Atoi(rest[i+1:])
	if err != nil || digit < 0 || digit > 9 || len(rest[i+1:]) != 1 {
		return "", 0, fmt.Errorf("bad digit in evaluation custom_id %q", id)
	}
	return rest[:i], digit, nil
}

// evalButtons are the ten digit buttons in two rows of five, the
// predicted digit highlighted.
func evalButtons(predictionID string, predicted int) ([]discordgo.MessageComponent, error) {
	if len(evalCustomID(predictionID, 9)) > maxCustomID {
		return nil, errors.New("prediction id too long for a custom_id")
	}
	return digitRows(func(d int) discordgo.Button {
		style := discordgo.SecondaryButton
		if d == predicted {
			style = discordgo.PrimaryButton
		}
		return discordgo.Button{Label: strconv.Itoa(d), Style: style, CustomID: evalCustomID(predictionID, d)}
	}), nil
}

// evaluatedButtons are the same buttons, disabled, showing the verdict:
// the true digit green, and the wrong prediction red.
func evaluatedButtons(predictionID string, predicted, truth int) []discordgo.MessageComponent {
	return digitRows(func(d int) discordgo.Button {
		style := discordgo.SecondaryButton
		switch d {
		case truth:
			style = discordgo.SuccessButton
		case predicted:
			style = discordgo.DangerButton
		}
		return discordgo.Button{Label: strconv.Itoa(d), Style: style, CustomID: evalCustomID(predictionID, d), Disabled: true}
	})
}

func digitRows(button func(d int) discordgo.Button) []discordgo.MessageComponent {
	rows := make([]discordgo.MessageComponent, 0, 2)
	for r := 0; r < 2; r++ {
		row := discordgo.ActionsRow{}
		for d := 5 * r; d < 5*r+5; d++ {
			row.Components = append(row.Components, button(d))
		}
		rows = append(rows, row)
	}
	return rows
}

// verdict is the short result of an evaluation: "✅ right" / "❌ it was an 8".
func verdict(l lang, e digitbot.Evaluation) string {
	switch {
	case e.Correct():
		return l.t("eval.short.ok")
	case e.Number != nil:
		return l.t("num.short.no", e.Number.True)
	}
	return l.t("eval.short.no", l.aNumber(e.TrueDigit))
}

// verdictButtons are an evaluated answer's buttons, disabled: the digit
// buttons of a one-digit reading, or "Right" and "Correct it" of a number.
func verdictButtons(l lang, predictionID string, e digitbot.Evaluation) []discordgo.MessageComponent {
	if e.Number != nil {
		// The ids fitted when the answer was sent; the reading is the same.
		buttons, err := numberButtons(l, predictionID, e.Number.Predicted, &e)
		if err == nil {
			return buttons
		}
		return []discordgo.MessageComponent{}
	}
	return evaluatedButtons(predictionID, e.Predicted, e.TrueDigit)
}

// evaluatedEmbed is the prediction's embed after its evaluation. It starts
// from the embed on the message (which keeps the resolved "what I saw"
// URL) when there is one.
func evaluatedEmbed(l lang, current *discordgo.MessageEmbed, e digitbot.Evaluation) *discordgo.MessageEmbed {
	var out discordgo.MessageEmbed
	if current != nil {
		out = *current
		out.Fields = append([]*discordgo.MessageEmbedField(nil), current.Fields...)
		// Discord hands back the picture's CDN URL; sent back as is, it
		// unlinks the attachment from the embed and Discord shows the
		// picture twice. attachment://name keeps it inside the embed.
		if out.Thumbnail != nil {
			th := *out.Thumbnail
			th.URL, th.ProxyURL = attachmentRef(th.URL), ""
			out.Thumbnail = &th
		}
		if out.Image != nil {
			img := *out.Image
			img.URL, img.ProxyURL = attachmentRef(img.URL), ""
			out.Image = &img
		}
	} else {
		reading := fmt.Sprint(e.Predicted)
		if e.Number != nil {
			reading = e.Number.Predicted
		}
		out = discordgo.MessageEmbed{
			Title:       fmt.Sprintf("%s: %s", l.t("pred.title"), reading),
			Description: "# " + reading,
			Fields:      []*discordgo.MessageEmbedField{{Name: l.t("pred.confidence"), Value: l.pct(e.Confidence), Inline: true}},
		}
	}
	result := l.t("eval.right")
	switch {
	case e.Correct():
	case e.Number != nil:
		result = l.t("num.wrong", e.Number.True)
	default:
		result = l.t("eval.wrong", l.aNumber(e.TrueDigit))
	}
	out.Fields = append(out.Fields, &discordgo.MessageEmbedField{Name: l.t("eval.field"), Value: result})
	if e.FileName != "" {
		out.Footer = &discordgo.MessageEmbedFooter{Text: l.t("pred.file", clip(e.FileName, shownFileNameMax))}
	} else {
		out.Footer = nil
	}
	return &out
}

// attachmentRef turns the CDN URL of a message's own attachment back into
// the attachment://name reference it was sent with
// (https://discord.com/developers/docs/reference#uploading-files, "Using
// Attachments within Embeds"); any other URL is returned unchanged.
func attachmentRef(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || !digitbot.IsDiscordCDNHost(u.Host) {
		return raw
	}
	if !strings.HasPrefix(u.Path, "/attachments/") && !strings.HasPrefix(u.Path, "/ephemeral-attachments/") {
		return raw
	}
	return "attachment://" + path.Base(u.Path)
}

// forgetCustomID is the custom_id of the /forget confirm or cancel button;
// it names the user so nobody else can press it.
func forgetCustomID(action, userID string) string {
	return forgetPrefix + ":" + action + ":" + userID
}

// humanBytes writes a byte count for people: "10 MiB".
func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// humanCount writes a large count for people: 40000000 → "40 M".
func humanCount(n int) string {
	if n >= 1_000_000 && n%1_000_000 == 0 {
		return fmt.Sprintf("%d M", n/1_000_000)
	}
	if n >= 1_000_000 {
		return fmt.Sprintf("%.1f M", float64(n)/1e6)
	}
	return strconv.Itoa(n)
}

// clip shortens user-provided text for an embed and neutralises the
// markdown that could break its formatting.
func clip(s string, n int) string {
	s = strings.NewReplacer("`", "'", "\n", " ", "\r", " ").Replace(s)
	if r := []rune(s); len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return s
}
