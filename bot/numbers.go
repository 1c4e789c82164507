package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
)

// Number readings (two or more digits) are answered with the number, each
// digit's confidence and one "what I saw" strip, and evaluated with two
// buttons: "Right", and "Correct it", which opens a modal where the poster
// types the number they wrote. One-digit readings keep the ten digit
// buttons.

// Custom id prefixes of the number components and of the correction modal.
const (
	numRightPrefix = "numok"  // numok:<predictionID>:<reading>
	numFixPrefix   = "numfix" // numfix:<predictionID>:<reading> (button) and numfix:<predictionID> (modal)
	// numberInputID is the custom id of the modal's text input.
	numberInputID = "number"
)

// Discord's limits on a modal, checked by tests of the modal we build
// (https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-modal
// and .../components/reference#text-input).
const (
	maxModalTitle = 45
	maxInputLabel = 45
)

// Scales of a number's "what I saw" strip: each digit 28 px × 4 = 112 px,
// so twelve digits stay under 1,400 px wide, with a grey gap between them.
const (
	stripScale = 4
	stripGap   = 6
	stripGrey  = 0x50
)

// numberReading is the number a prediction read, from Number or, when a
// classifier left it empty, from its digits.
func numberReading(p digitbot.Prediction) string {
	if p.Number != "" {
		return p.Number
	}
	var sb strings.Builder
	for _, d := range p.Digits {
		sb.WriteByte(byte('0' + d.Digit))
	}
	return sb.String()
}

// unsureDigits are the positions (0 = leftmost) whose confidence is under
// the threshold.
func unsureDigits(p digitbot.Prediction, threshold float64) []int {
	var out []int
	for i, d := range p.Digits {
		if d.Confidence < threshold {
			out = append(out, i)
		}
	}
	return out
}

// unsure reports whether the bot says it is unsure of a reading: a digit
// under the threshold, or for a number any of its digits (the number's own
// confidence, a product, would call most long numbers unsure).
func unsure(p digitbot.Prediction, threshold float64) bool {
	if !p.IsNumber() {
		return p.Confidence < threshold
	}
	return len(unsureDigits(p, threshold)) > 0
}

// stripPNG draws the digits' 28x28 inputs side by side, left to right, as
// one PNG: white ink on black, as the model saw them, separated by grey.
func stripPNG(b *Bot, digits []digitbot.DigitReading) ([]byte, error) {
	side := digitbot.InputSide * stripScale
	width := len(digits)*side + (len(digits)-1)*stripGap
	img := image.NewGray(image.Rect(0, 0, width, side))
	for i := range img.Pix {
		img.Pix[i] = stripGrey
	}
	for k, d := range digits {
		x0 := k * (side + stripGap)
		for y := 0; y < side; y++ {
			row := d.Input[(y/stripScale)*digitbot.InputSide:]
			line := img.Pix[y*img.Stride+x0:]
			for x := 0; x < side; x++ {
				line[x] = row[x/stripScale]
			}
		}
	}
	var buf bytes.Buffer
	if err := b.seenEnc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// renderNumber is renderPrediction for a number.
func (b *Bot) renderNumber(l lang, p digitbot.Prediction, threshold float64, n int) (predictionMessage, error) {
	png, err := stripPNG(b, p.Digits)
	if err != nil {
		return predictionMessage{}, err
	}
	reading := numberReading(p)
	buttons, err := numberButtons(l, p.ID, reading, nil)
	if err != nil {
		return predictionMessage{}, err
	}
	name := seenName(n)
	return predictionMessage{
		embed:      numberEmbed(l, p, threshold, name),
		components: buttons,
		file:       &discordgo.File{Name: name, ContentType: "image/png", Reader: bytes.NewReader(png)},
	}, nil
}

// numberEmbed is the answer to a picture of a number: the number large,
// each digit with its confidence (unsure ones marked), the unsure digits
// named, the colour of the least confident digit, and the strip of what
// the model saw as the embed's image.
func numberEmbed(l lang, p digitbot.Prediction, threshold float64, seen string) *discordgo.MessageEmbed {
	reading := numberReading(p)
	unsure := unsureDigits(p, threshold)
	color, verdict := colorConfident, l.t("num.sure", l.pct(threshold))
	if len(unsure) > 0 {
		color, verdict = colorUnsure, l.unsureAbout(unsure, threshold)
	}
	lines := make([]string, len(p.Digits))
	for i, d := range p.Digits {
		mark := ""
		if d.Confidence < threshold {
			mark = " ⚠️"
		}
		lines[i] = fmt.Sprintf("%s · **%d** · %s%s", l.ordinal(i+1, false), d.Digit, l.pct(d.Confidence), mark)
	}
	footer := l.t("num.ask")
	if p.FileName != "" {
		footer = l.t("pred.file", p.FileName) + " · " + footer
	}
	e := &discordgo.MessageEmbed{
		Title:       fmt.Sprintf("%s: %s", l.t("pred.title"), reading),
		Description: fmt.Sprintf("# %s\n%s", reading, verdict),
		Color:       color,
		Fields: []*discordgo.MessageEmbedField{
			{Name: l.t("num.confidence"), Value: "**" + l.pct(p.Confidence) + "**", Inline: true},
			{Name: l.t("num.digits"), Value: strings.Join(lines, "\n"), Inline: true},
			{Name: l.t("num.seen"), Value: "\u200b", Inline: false},
		},
		Footer: &discordgo.MessageEmbedFooter{Text: footer},
	}
	if seen != "" {
		e.Image = &discordgo.MessageEmbedImage{URL: "attachment://" + seen}
	}
	return e
}

// unsureAbout names the unsure digits: "I'm not sure about the 3rd digit".
func (l lang) unsureAbout(positions []int, threshold float64) string {
	if len(positions) == 1 {
		return l.t("num.unsure.one", l.ordinal(positions[0]+1, true), l.pct(threshold))
	}
	names := make([]string, len(positions))
	for i, p := range positions {
		names[i] = l.ordinal(p+1, false)
	}
	list := strings.Join(names[:len(names)-1], ", ") + l.t("num.and") + names[len(names)-1]
	return l.t("num.unsure.many", list, l.pct(threshold))
}

// ordinal writes a position: 1st, 2nd, 3rd, 4th; in Spanish 1.º, 2.º, and
// before a noun 1.er and 3.er ("el 3.er dígito").
func (l lang) ordinal(n int, beforeNoun bool) string {
	if l == langES {
		if beforeNoun && (n == 1 || n == 3) {
			return fmt.Sprintf("%d.er", n)
		}
		return fmt.Sprintf("%d.º", n)
	}
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

// numberButtons are "Right" and "Correct it" for a number reading; once
// evaluated (e != nil) they are disabled and coloured by the verdict.
func numberButtons(l lang, predictionID, reading string, e *digitbot.Evaluation) ([]discordgo.MessageComponent, error) {
	right := discordgo.Button{Label: l.t("num.right"), Style: discordgo.SuccessButton, CustomID: numRightPrefix + ":" + predictionID + ":" + reading}
	fix := discordgo.Button{Label: l.t("num.fix"), Style: discordgo.SecondaryButton, CustomID: numFixPrefix + ":" + predictionID + ":" + reading}
	if len(right.CustomID) > maxCustomID || len(fix.CustomID) > maxCustomID {
		return nil, errors.New("prediction id too long for a custom_id")
	}
	if e != nil {
		right.Disabled, fix.Disabled = true, true
		if e.Correct() {
			fix.Style = discordgo.SecondaryButton
		} else {
			right.Style = discordgo.SecondaryButton
			fix.Style = discordgo.DangerButton
			if e.Number != nil {
				fix.Label = "✏️ " + e.Number.True
			}
		}
	}
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{right, fix}}}, nil
}

// parseNumberCustomID splits "<prefix>:<predictionID>:<reading>".
func parseNumberCustomID(prefix, id string) (predictionID, reading string, err error) {
	rest, ok := strings.CutPrefix(id, prefix+":")
	i := strings.LastIndexByte(rest, ':')
	if !ok || i <= 0 || !digitbot.ValidNumber(rest[i+1:]) {
		return "", "", fmt.Errorf("bad number custom_id %q", id)
	}
	return rest[:i], rest[i+1:], nil
}

// onNumberRight records that the number was read right.
func (b *Bot) onNumberRight(c *call) {
	predictionID, reading, err := parseNumberCustomID(numRightPrefix, c.i.MessageComponentData().CustomID)
	if err != nil {
		b.log.Warn("bad number button", append(logAttrs(c.i, c.userID()), "err", err.Error())...)
		c.ephemeral(c.l.t("err.internal"))
		return
	}
	b.recordVerdict(c, predictionID, func(ctx context.Context) (digitbot.Evaluation, error) {
		return b.store.EvaluateNumber(ctx, predictionID, c.userID(), reading)
	})
}

// onNumberFix opens the correction modal, prefilled with the reading.
//
// The modal has to be the first response to the press (a deferred press
// cannot open one), so whatever is checked before must fit in Discord's
// 3 s (https://discord.com/developers/docs/interactions/receiving-and-responding:
// one initial response within 3 seconds, and MODAL is "not available for
// MODAL_SUBMIT"). The submission carries the component's message, so it is
// answered like the press: an update (7), or a deferred update (6) and an
// edit when the store is slow.
//
// A stranger, a prediction already evaluated or one that expired get a
// private note instead of a modal when the store says so quickly; when it
// is slow or failing, the modal opens anyway and the store's rules apply
// to the submission.
func (b *Bot) onNumberFix(c *call) {
	predictionID, reading, err := parseNumberCustomID(numFixPrefix, c.i.MessageComponentData().CustomID)
	if err != nil {
		b.log.Warn("bad number button", append(logAttrs(c.i, c.userID()), "err", err.Error())...)
		c.ephemeral(c.l.t("err.internal"))
		return
	}
	type check struct {
		refusal string              // an error code; "" opens the modal
		already digitbot.Evaluation // the verdict, for EALREADYEVALUATED
		err     error               // the store could not tell
	}
	done := make(chan check, 1)
	go func() {
		p, err := b.store.Prediction(c.ctx, predictionID)
		switch {
		case digitbot.ErrorCode(err) == digitbot.ENOTFOUND:
			done <- check{refusal: digitbot.ENOTFOUND}
			return
		case err != nil:
			done <- check{err: err}
			return
		case p.UserID != c.userID():
			done <- check{refusal: digitbot.EFORBIDDEN}
			return
		}
		e, err := b.store.Evaluation(c.ctx, predictionID)
		switch {
		case err == nil:
			done <- check{refusal: digitbot.EALREADYEVALUATED, already: e}
		case digitbot.ErrorCode(err) == digitbot.ENOTFOUND:
			done <- check{}
		default:
			done <- check{err: err}
		}
	}()
	var out check
	select {
	case out = <-done:
	case <-time.After(componentFastPath):
		b.log.Warn("checking a correction took too long; opening the modal unchecked",
			append(logAttrs(c.i, c.userID()), "prediction_id", predictionID)...)
	}
	if out.err != nil {
		b.log.Warn("checking a correction failed; opening the modal unchecked",
			append(logAttrs(c.i, c.userID()), "prediction_id", predictionID, "err", out.err.Error())...)
	}
	if out.refusal != "" {
		b.metrics.ObserveEvaluation(out.refusal)
	}
	switch out.refusal {
	case "":
		c.respond(correctionModal(c.l, predictionID, reading))
	case digitbot.ENOTFOUND:
		c.ephemeral(c.l.t("eval.notfound"))
	case digitbot.EFORBIDDEN:
		c.ephemeral(c.l.t("eval.forbidden"))
	case digitbot.EALREADYEVALUATED:
		c.ephemeral(c.l.t("eval.already", verdict(c.l, out.already)))
	}
}

// correctionModal asks for the true number: one short text input,
// prefilled with the reading, 1 to MaxNumberDigits characters.
func correctionModal(l lang, predictionID, reading string) *discordgo.InteractionResponse {
	return &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseModal,
		Data: &discordgo.InteractionResponseData{
			CustomID: numFixPrefix + ":" + predictionID,
			Title:    l.t("fix.title"),
			Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				discordgo.TextInput{
					CustomID:    numberInputID,
					Label:       l.t("fix.label"),
					Style:       discordgo.TextInputShort,
					Value:       reading,
					Placeholder: l.t("fix.placeholder"),
					Required:    true,
					MinLength:   1,
					MaxLength:   digitbot.MaxNumberDigits,
				},
			}}},
		},
	}
}

// onNumberModal records the number typed in the correction modal. What
// Discord's client enforced (length, required) is checked again: the
// submission is only data.
func (b *Bot) onNumberModal(c *call) {
	data := c.i.ModalSubmitData()
	predictionID, ok := strings.CutPrefix(data.CustomID, numFixPrefix+":")
	if !ok || predictionID == "" {
		b.log.Warn("bad correction modal", append(logAttrs(c.i, c.userID()), "custom_id", data.CustomID)...)
		c.ephemeral(c.l.t("err.internal"))
		return
	}
	typed, _ := modalValue(data.Components, numberInputID)
	value := strings.TrimSpace(typed)
	if !digitbot.ValidNumber(value) {
		b.metrics.ObserveEvaluation(digitbot.EINVALID)
		b.log.Info("correction refused", append(logAttrs(c.i, c.userID()), "prediction_id", predictionID, "length", len(typed))...)
		if value == "" {
			c.ephemeral(c.l.t("fix.empty"))
		} else {
			c.ephemeral(c.l.t("fix.invalid", clip(value, 20), digitbot.MaxNumberDigits))
		}
		return
	}
	b.recordVerdict(c, predictionID, func(ctx context.Context) (digitbot.Evaluation, error) {
		return b.store.EvaluateNumber(ctx, predictionID, c.userID(), value)
	})
}

// modalValue finds a text input's value in a modal submission.
func modalValue(components []discordgo.MessageComponent, customID string) (string, bool) {
	for _, c := range components {
		switch v := c.(type) {
		case *discordgo.ActionsRow:
			if s, ok := modalValue(v.Components, customID); ok {
				return s, true
			}
		case *discordgo.TextInput:
			if v.CustomID == customID {
				return v.Value, true
			}
		}
	}
	return "", false
}

// numbersSummary is the /stats line about numbers, under the per-digit
// summary (the chart's panels count digits): how many were read right,
// how many were cut into the wrong number of digits, and by length. Empty
// when no number was evaluated.
func numbersSummary(l lang, n digitbot.NumberStats) string {
	if n.Count == 0 {
		return ""
	}
	var byLength []string
	for length, s := range n.ByLength {
		if s.Count > 0 {
			byLength = append(byLength, l.t("stats.num.length", length, s.Hits, s.Count))
		}
	}
	return "\n" + l.t("stats.num", n.Count, n.Hits, l.pct(float64(n.Hits)/float64(n.Count)), n.SegmentationErrors) +
		"\n" + l.t("stats.num.by", strings.Join(byLength, " · "))
}
