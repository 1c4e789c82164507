package bot

import (
	"context"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
)

// componentFastPath is how long a button press may take before we defer
// (type 6) rather than answer with the updated message at once: well
// inside Discord's 3 s, with room for the response's own round trip.
const componentFastPath = 1500 * time.Millisecond

// cmdPredict answers /predict image:<attachment>.
func (b *Bot) cmdPredict(c *call) {
	data := c.i.ApplicationCommandData()
	var att *discordgo.MessageAttachment
	if o := findOption(data.Options, "image"); o != nil && data.Resolved != nil {
		if id, ok := o.Value.(string); ok {
			att = data.Resolved.Attachments[id]
		}
	}
	if att == nil {
		c.ephemeral(c.l.t("err.no_image"))
		return
	}
	o := origin{guildID: c.i.GuildID, channelID: c.i.ChannelID, userID: c.userID()}
	b.predictForInteraction(c, o, []*discordgo.MessageAttachment{att}, 0)
}

// cmdRecognize answers the message context menu "Recognize digit": every
// image of the target message, up to the per-message limit. The poster of
// the images is the one who may evaluate, as with a plain message.
func (b *Bot) cmdRecognize(c *call) {
	data := c.i.ApplicationCommandData()
	var msg *discordgo.Message
	if data.Resolved != nil {
		msg = data.Resolved.Messages[data.TargetID]
	}
	if msg == nil || len(msg.Attachments) == 0 {
		c.ephemeral(c.l.t("err.no_image_target"))
		return
	}
	atts := msg.Attachments
	skipped := 0
	if len(atts) > b.cfg.ImagesPerMessage {
		skipped = len(atts) - b.cfg.ImagesPerMessage
		atts = atts[:b.cfg.ImagesPerMessage]
	}
	poster := c.userID()
	if msg.Author != nil && !msg.Author.Bot {
		poster = msg.Author.ID
	}
	o := origin{guildID: c.i.GuildID, channelID: c.i.ChannelID, messageID: msg.ID, userID: poster}
	b.predictForInteraction(c, o, atts, skipped)
}

// predictForInteraction defers, predicts each image, and answers: the
// first prediction replaces the "thinking…" message, further ones are
// follow-ups, and mistakes go privately to the user.
func (b *Bot) predictForInteraction(c *call, o origin, atts []*discordgo.MessageAttachment, skipped int) {
	if c.rateLimited() {
		return
	}
	release, ok := b.erase.begin(userKey(o.userID), guildKey(o.guildID))
	if !ok {
		c.ephemeral(c.l.t("err.erasing"))
		return
	}
	defer release()
	if !b.pool.enter() {
		b.metrics.ObservePrediction("busy", 0)
		c.ephemeral(c.l.t("err.busy"))
		return
	}
	defer b.pool.leave()
	if err := c.deferReply(false); err != nil {
		return
	}
	_, threshold := b.guildSettings(c.ctx, c.i.GuildID)
	type result struct {
		att *discordgo.MessageAttachment
		p   digitbot.Prediction
		err error
	}
	results := make([]result, 0, len(atts))
	err := b.pool.do(c.ctx, func() {
		for _, att := range atts {
			p, err := b.predictImage(c.ctx, o, att, threshold)
			results = append(results, result{att, p, err})
		}
	})
	if err != nil {
		c.editText(c.l.t("err.restarting"))
		return
	}
	answered := false
	var problems []string
	for n, r := range results {
		if r.err != nil {
			problems = append(problems, b.imageErrorText(c.l, r.att.Filename, r.err))
			continue
		}
		msg, err := b.renderPrediction(c.l, r.p, threshold, n+1)
		if err != nil {
			b.log.Error("rendering a prediction failed", "prediction_id", r.p.ID, "err", err.Error())
			problems = append(problems, c.l.t("err.predict", clip(r.att.Filename, 60)))
			continue
		}
		embeds := []*discordgo.MessageEmbed{msg.embed}
		if !answered {
			if c.edit(&discordgo.WebhookEdit{Embeds: &embeds, Components: &msg.components, Files: []*discordgo.File{msg.file}}) == nil {
				answered = true
				b.metrics.ObserveReply(time.Since(c.received))
			}
			continue
		}
		c.followup(&discordgo.WebhookParams{Embeds: embeds, Components: msg.components, Files: []*discordgo.File{msg.file}})
	}
	if skipped > 0 {
		problems = append(problems, c.l.t("pred.skipped", len(atts), len(atts)+skipped))
	}
	if !answered {
		// Nothing to show publicly: drop "thinking…" and tell the user alone.
		c.deleteOriginal()
	}
	if len(problems) > 0 {
		c.privateFollowup("⚠️ " + strings.Join(problems, "\n⚠️ "))
	}
}

// onEvalButton records the poster's verdict on a one-digit reading.
func (b *Bot) onEvalButton(c *call) {
	predictionID, digit, err := parseEvalCustomID(c.i.MessageComponentData().CustomID)
	if err != nil {
		b.log.Warn("bad evaluation button", append(logAttrs(c.i, c.userID()), "err", err.Error())...)
		c.ephemeral(c.l.t("err.internal"))
		return
	}
	b.recordVerdict(c, predictionID, func(ctx context.Context) (digitbot.Evaluation, error) {
		return b.store.Evaluate(ctx, predictionID, c.userID(), digit)
	})
}

// recordVerdict saves a verdict with save and updates the answer the
// button or the modal belongs to; anyone but the poster, a second verdict,
// or an expired prediction gets a private note and changes nothing.
func (b *Bot) recordVerdict(c *call, predictionID string, save func(context.Context) (digitbot.Evaluation, error)) {
	type outcome struct {
		e   digitbot.Evaluation
		err error
	}
	if p, err := b.store.Prediction(c.ctx, predictionID); err == nil && !buttonBelongs(p, c.i) {
		b.log.Warn("evaluation button pressed on another message", append(logAttrs(c.i, c.userID()), "prediction_id", predictionID)...)
		b.metrics.ObserveEvaluation(digitbot.EFORBIDDEN)
		c.ephemeral(c.l.t("eval.mismatch"))
		return
	}
	keys := []string{userKey(c.userID()), guildKey(c.i.GuildID)}
	release, ok := b.erase.begin(keys...)
	if !ok {
		c.ephemeral(c.l.t("err.erasing"))
		return
	}
	defer release()
	done := make(chan outcome, 1)
	go func() {
		var e digitbot.Evaluation
		err := b.erase.save(func() (err error) {
			e, err = save(c.ctx)
			return err
		}, keys...)
		done <- outcome{e, err}
	}()
	var out outcome
	deferred := false
	select {
	case out = <-done:
	case <-time.After(componentFastPath):
		deferred = true
		c.respond(&discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate})
		out = <-done
	}
	private := func(text string) {
		if deferred {
			c.privateFollowup(text)
		} else {
			c.ephemeral(text)
		}
	}
	code := digitbot.ErrorCode(out.err)
	switch code {
	case "":
		result := "wrong"
		if out.e.Correct() {
			result = "correct"
		}
		b.metrics.ObserveEvaluation(result)
		var current *discordgo.MessageEmbed
		content := ""
		if c.i.Message != nil {
			content = c.i.Message.Content
			if len(c.i.Message.Embeds) > 0 {
				current = c.i.Message.Embeds[0]
			}
		}
		embeds := []*discordgo.MessageEmbed{evaluatedEmbed(c.l, current, out.e)}
		buttons := verdictButtons(c.l, predictionID, out.e)
		if deferred {
			c.edit(&discordgo.WebhookEdit{Embeds: &embeds, Components: &buttons})
		} else {
			c.respond(&discordgo.InteractionResponse{
				Type: discordgo.InteractionResponseUpdateMessage,
				Data: &discordgo.InteractionResponseData{Content: content, Embeds: embeds, Components: buttons},
			})
		}
		b.log.Info("evaluation saved", append(logAttrs(c.i, c.userID()), "prediction_id", predictionID, "result", result)...)
	case digitbot.EFORBIDDEN:
		b.metrics.ObserveEvaluation(code)
		private(c.l.t("eval.forbidden"))
	case digitbot.EALREADYEVALUATED:
		b.metrics.ObserveEvaluation(code)
		private(c.l.t("eval.already", verdict(c.l, out.e)))
	case digitbot.ENOTFOUND:
		b.metrics.ObserveEvaluation(code)
		private(c.l.t("eval.notfound"))
	case digitbot.EINVALID:
		// The store refused the verdict itself (its message is for users).
		b.metrics.ObserveEvaluation(code)
		b.log.Warn("evaluation refused", append(logAttrs(c.i, c.userID()), "prediction_id", predictionID, "err", out.err.Error())...)
		private(digitbot.ErrorMessage(out.err))
	default:
		b.metrics.ObserveEvaluation(digitbot.EINTERNAL)
		b.log.Error("saving an evaluation failed", append(logAttrs(c.i, c.userID()), "prediction_id", predictionID, "err", out.err.Error())...)
		private(c.l.t("err.internal"))
	}
}
