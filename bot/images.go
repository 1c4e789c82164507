package bot

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
)

// origin says where an image came from and who may evaluate it.
type origin struct {
	guildID   string
	channelID string
	messageID string // the message that carried the image, if any
	userID    string // the poster: the only one who may evaluate
}

// predictImage downloads, classifies and saves one attachment as a
// pending prediction. The prediction is stored before anyone sees its
// buttons, so even an instant click finds it.
func (b *Bot) predictImage(ctx context.Context, o origin, att *discordgo.MessageAttachment, threshold float64) (digitbot.Prediction, error) {
	fetchStart := time.Now()
	dl, err := b.fetch.fetch(ctx, att)
	if err != nil {
		b.metrics.ObservePrediction(digitbot.ErrorCode(err), 0)
		return digitbot.Prediction{}, err
	}
	start := time.Now()
	fetched := start.Sub(fetchStart)
	p, err := b.cls.Classify(ctx, dl.data)
	if code := digitbot.ErrorCode(err); dl.width > 0 && (code == digitbot.EINVALIDIMAGE || code == digitbot.EUNSUPPORTED) {
		// The media proxy's copy is damaged or in a format we do not
		// read: the original decides.
		b.log.Info("media proxy copy unreadable; fetching the original", "code", code, "err", err.Error())
		if dl, err = b.fetch.fetchOriginal(ctx, att); err != nil {
			b.metrics.ObservePrediction(digitbot.ErrorCode(err), 0)
			return digitbot.Prediction{}, err
		}
		p, err = b.cls.Classify(ctx, dl.data)
	}
	dl.data = nil // the bytes are not needed any more: let them go while the reply is built
	took := time.Since(start)
	if err != nil {
		b.metrics.ObservePrediction(digitbot.ErrorCode(err), took)
		return digitbot.Prediction{}, err
	}
	p.ID = ""
	p.GuildID, p.ChannelID, p.MessageID, p.UserID = o.guildID, o.channelID, o.messageID, o.userID
	p.FileName, p.AttachmentID = att.Filename, att.ID
	for i := range p.Digits {
		// Where the digit lies in the attachment, not in the media proxy's copy.
		p.Digits[i].Box = dl.scaleBox(att, p.Digits[i].Box)
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = b.now()
	}
	saveStart := time.Now()
	if err := b.erase.save(func() error { return b.store.SavePrediction(ctx, &p) }, userKey(o.userID), guildKey(o.guildID)); err != nil {
		if digitbot.ErrorCode(err) == digitbot.ECONFLICT {
			b.metrics.ObservePrediction(digitbot.ECONFLICT, took)
			return digitbot.Prediction{}, err // the poster or server is being erased
		}
		b.metrics.ObservePrediction(digitbot.EINTERNAL, took)
		return digitbot.Prediction{}, digitbot.WrapError(digitbot.EINTERNAL, "could not save the prediction", err)
	}
	outcome := "confident"
	if unsure(p, threshold) {
		outcome = "unsure"
	}
	b.metrics.ObservePrediction(outcome, took)
	b.log.Debug("prediction", "prediction_id", p.ID, "guild_id", o.guildID, "digit", p.Digit,
		"confidence", p.Confidence, "download_ms", ms(fetched), "classify_ms", ms(took), "save_ms", ms(time.Since(saveStart)))
	return p, nil
}

// predictionMessage is the embed, buttons and "what I saw" file of one
// answer; n numbers the answer's picture within its message.
type predictionMessage struct {
	embed      *discordgo.MessageEmbed
	components []discordgo.MessageComponent
	file       *discordgo.File
}

func (b *Bot) renderPrediction(l lang, p digitbot.Prediction, threshold float64, n int) (predictionMessage, error) {
	if p.IsNumber() {
		return b.renderNumber(l, p, threshold, n)
	}
	png, err := seenPNG(b.seenEnc, p.Input, seenScale)
	if err != nil {
		return predictionMessage{}, err
	}
	buttons, err := evalButtons(p.ID, p.Digit)
	if err != nil {
		return predictionMessage{}, err
	}
	name := seenName(n)
	return predictionMessage{
		embed:      predictionEmbed(l, p, threshold, name),
		components: buttons,
		file:       &discordgo.File{Name: name, ContentType: "image/png", Reader: bytes.NewReader(png)},
	}, nil
}

// imageErrorText is the localised sentence for a failed image, and logs
// what the user does not need to see.
func (b *Bot) imageErrorText(l lang, name string, err error) string {
	name = clip(name, 60)
	code := digitbot.ErrorCode(err)
	switch code {
	case digitbot.EINVALIDIMAGE:
		b.log.Info("image refused", "code", code, "err", err.Error())
		return l.t("err.invalid_image", name)
	case digitbot.EUNSUPPORTED:
		b.log.Info("image refused", "code", code, "err", err.Error())
		return l.t("err.unsupported_format", name)
	case digitbot.ETOOLARGE:
		b.log.Info("image refused", "code", code, "err", err.Error())
		return l.t("err.too_large", name, humanBytes(b.cfg.MaxImageBytes), humanCount(b.cfg.MaxImagePixels))
	case digitbot.ENODIGIT:
		b.log.Info("image refused", "code", code, "err", err.Error())
		if errors.Is(err, digitbot.ErrNotADigit) {
			return l.t("err.not_a_digit", name)
		}
		return l.t("err.no_digit", name)
	case digitbot.ETOOMANYDIGITS:
		b.log.Info("image refused", "code", code, "err", err.Error())
		return l.t("err.too_many_digits", name, digitbot.MaxNumberDigits)
	case digitbot.EFORBIDDEN:
		b.log.Warn("attachment not downloaded", "code", code, "err", err.Error())
		return l.t("err.not_discord", name)
	case digitbot.EUNAVAILABLE:
		b.log.Warn("attachment download failed", "code", code, "err", err.Error())
		return l.t("err.download", name)
	case digitbot.ECONFLICT:
		return l.t("err.erasing")
	}
	if errors.Is(err, context.Canceled) {
		return l.t("err.restarting")
	}
	b.log.Error("prediction failed", "code", code, "err", err.Error())
	return l.t("err.predict", name)
}

// guildSettings returns a server's config and effective threshold; in DMs
// or when the store fails, the bot's defaults.
func (b *Bot) guildSettings(ctx context.Context, guildID string) (digitbot.GuildConfig, float64) {
	threshold := b.cfg.Threshold
	if guildID == "" {
		return digitbot.GuildConfig{}, threshold
	}
	cfg, err := b.store.GuildConfig(ctx, guildID)
	if err != nil {
		b.log.Error("reading the server config failed; using defaults", "guild_id", guildID, "err", err.Error())
		return digitbot.GuildConfig{GuildID: guildID}, threshold
	}
	if digitbot.ValidThreshold(cfg.Threshold) {
		threshold = cfg.Threshold
	}
	return cfg, threshold
}

// watched reports whether a channel is watched by the host's config or
// the server's.
func (b *Bot) watched(cfg digitbot.GuildConfig, channelID string) bool {
	for _, id := range b.cfg.WatchedChannels {
		if id == channelID {
			return true
		}
	}
	return cfg.Watches(channelID)
}

// messageLang is the language of answers to plain messages: Spanish when
// the server's preferred locale is Spanish, else the configured default
// (a server's preferred locale is en-US unless someone changed it, so
// English there says nothing).
func (b *Bot) messageLang(guildID string) lang {
	if st := b.stateFor(guildID); guildID != "" && st != nil {
		if g, err := st.Guild(guildID); err == nil && parseLang(g.PreferredLocale) == langES {
			return langES
		}
	}
	return parseLang(b.cfg.DefaultLocale)
}

// onMessageCreate hands a message to a tracked goroutine.
func (b *Bot) onMessageCreate(_ *discordgo.Session, m *discordgo.MessageCreate) {
	if m.Message == nil || m.Author == nil || m.Author.Bot {
		return
	}
	// Ordinary chat is most of the traffic of a bot with many servers:
	// it is recognised here, on the shard's gateway goroutine, without a
	// goroutine of its own (BenchmarkOnMessageCreate_Ignored).
	if m.GuildID != "" && len(messageAttachments(m.Message)) == 0 && !b.mentionsBot(m.Message, b.userID()) {
		return
	}
	received := time.Now()
	b.track("message", func() { b.handleMessage(received, m.Message) })
}

// handleMessage answers images in watched channels, mentions and DMs.
func (b *Bot) handleMessage(received time.Time, m *discordgo.Message) {
	me := b.userID()
	if m.Author.ID == me {
		return
	}
	dm := m.GuildID == ""
	mentioned := b.mentionsBot(m, me)
	files := messageAttachments(m)
	if !dm && !mentioned && len(files) == 0 {
		return // ordinary chat: the common case, decided without the store
	}
	ctx := b.workCtx
	cfg, threshold := b.guildSettings(ctx, m.GuildID)
	explicit := dm || mentioned
	if !explicit && !b.watched(cfg, m.ChannelID) {
		return
	}
	// In a watched channel only pictures are ours; when asked directly,
	// every attachment gets an answer (a PDF gets "unsupported format").
	var atts []*discordgo.MessageAttachment
	for _, a := range files {
		if a != nil && (explicit || looksLikeImage(a)) {
			atts = append(atts, a)
		}
	}
	l := b.messageLang(m.GuildID)
	if len(atts) == 0 && !explicit {
		return
	}
	// Every answer counts against the user's limit, the "attach an image"
	// one too: otherwise mentions and DMs without a picture are a way
	// around it.
	if ok, retry, warn := b.limits.allow(m.Author.ID, b.now()); !ok {
		b.metrics.ObserveRateLimited()
		b.log.Info("rate limited", "user_id", m.Author.ID, "retry_in", retry.String())
		if warn {
			b.replyText(ctx, m, l.t("err.rate_limited", retrySeconds(retry)))
		}
		return
	}
	if len(atts) == 0 {
		b.replyText(ctx, m, l.t("err.no_image"))
		return
	}
	release, ok := b.erase.begin(userKey(m.Author.ID), guildKey(m.GuildID))
	if !ok {
		b.log.Info("upload ignored: its author's or server's data is being deleted", "message_id", m.ID)
		return
	}
	defer release()
	if !b.pool.enter() {
		b.metrics.ObservePrediction("busy", 0)
		b.tellBusy(ctx, m)
		return
	}
	defer b.pool.leave()
	skipped := 0
	if len(atts) > b.cfg.ImagesPerMessage {
		skipped = len(atts) - b.cfg.ImagesPerMessage
		atts = atts[:b.cfg.ImagesPerMessage]
	}
	o := origin{guildID: m.GuildID, channelID: m.ChannelID, messageID: m.ID, userID: m.Author.ID}
	err := b.pool.do(ctx, func() {
		for n, att := range atts {
			note := ""
			if skipped > 0 && n == len(atts)-1 {
				note = l.t("pred.skipped", len(atts), len(atts)+skipped)
			}
			b.answerMessageImage(ctx, received, m, o, att, l, threshold, n+1, note, explicit)
		}
	})
	if err != nil {
		b.log.Warn("message dropped at shutdown", "message_id", m.ID, "err", err.Error())
	}
}

// answerMessageImage predicts one image of a message and replies to it.
// explicit is a mention or a DM: there every picture gets an answer, while
// in a watched channel a picture that is not a digit (a meme, a photo) or
// holds more marks than a number (a page of text, a pattern) is left
// alone, as a person would.
func (b *Bot) answerMessageImage(ctx context.Context, received time.Time, m *discordgo.Message, o origin, att *discordgo.MessageAttachment, l lang, threshold float64, n int, note string, explicit bool) {
	p, err := b.predictImage(ctx, o, att, threshold)
	if err != nil && !explicit && (errors.Is(err, digitbot.ErrNotADigit) || digitbot.ErrorCode(err) == digitbot.ETOOMANYDIGITS) {
		b.log.Info("not a digit in a watched channel: no answer", "message_id", m.ID, "attachment_id", att.ID, "code", digitbot.ErrorCode(err))
		return
	}
	if err != nil {
		text := b.imageErrorText(l, att.Filename, err)
		if note != "" {
			text += "\n" + note
		}
		b.replyText(ctx, m, "⚠️ "+text)
		return
	}
	msg, err := b.renderPrediction(l, p, threshold, n)
	if err != nil {
		b.log.Error("rendering a prediction failed", "prediction_id", p.ID, "err", err.Error())
		b.replyText(ctx, m, l.t("err.predict", clip(att.Filename, 60)))
		return
	}
	send := &discordgo.MessageSend{
		Content:    note,
		Embeds:     []*discordgo.MessageEmbed{msg.embed},
		Components: msg.components,
		Files:      []*discordgo.File{msg.file},
	}
	sendStart := time.Now()
	if err := b.reply(ctx, m, send); err != nil {
		b.log.Error("sending a prediction failed", "prediction_id", p.ID, "channel_id", m.ChannelID, "err", err.Error())
		return
	}
	b.metrics.ObserveReply(time.Since(received))
	b.log.Debug("prediction sent", "prediction_id", p.ID, "send_ms", ms(time.Since(sendStart)), "total_ms", ms(time.Since(received)))
}

// reply answers a message as a reply to it; nobody is pinged (file names
// are user text, and a reply right under the message needs no ping).
func (b *Bot) reply(ctx context.Context, m *discordgo.Message, send *discordgo.MessageSend) error {
	ref := m.Reference()
	no := false
	ref.FailIfNotExists = &no
	send.Reference = ref
	send.AllowedMentions = &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
	fitEmbeds(send.Embeds)
	ctx, cancel := context.WithTimeout(ctx, messageAnswerLifetime)
	defer cancel()
	return b.sendWithFallbacks(ctx, m.ChannelID, send)
}

// replyText answers a message with a short text, logging failures.
func (b *Bot) replyText(ctx context.Context, m *discordgo.Message, text string) {
	if err := b.reply(ctx, m, &discordgo.MessageSend{Content: text}); err != nil {
		b.log.Error("replying to a message failed", "channel_id", m.ChannelID, "message_id", m.ID, "err", err.Error())
	}
}

// ms is a duration in milliseconds, for log fields.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// retrySeconds rounds a wait up to whole seconds, at least 1.
func retrySeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}
