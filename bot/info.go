package bot

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
)

// maxWatchedChannels is how many channels one server may watch (the
// store refuses more).
const maxWatchedChannels = 100

// cmdModel answers /model with the model card, privately.
func (b *Bot) cmdModel(c *call) {
	embeds := []*discordgo.MessageEmbed{modelEmbed(c.l, b.cls.Card(), b.cfg.ModelSource)}
	c.respond(&discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Embeds: embeds, Flags: discordgo.MessageFlagsEphemeral},
	})
}

// modelEmbed shows the card as the original app's "Modelo" page did: the
// layer summary with output shapes and parameters, then the facts.
func modelEmbed(l lang, card digitbot.ModelCard, source string) *discordgo.MessageEmbed {
	var sb strings.Builder
	sb.WriteString(clip(card.Description, 900))
	sb.WriteString("\n```\n")
	fmt.Fprintf(&sb, "%-8s %-16s %8s\n", "layer", "output", "params")
	for _, ly := range card.Layers {
		shape := make([]string, len(ly.OutputShape))
		for i, d := range ly.OutputShape {
			shape[i] = fmt.Sprint(d)
		}
		fmt.Fprintf(&sb, "%-8s %-16s %8s\n", clip(ly.Name, 8), strings.Join(shape, "×"), l.group(ly.Params))
	}
	sb.WriteString("```")
	acc := l.t("model.acc_val", l.pct(card.TestAccuracy), l.group(card.TestCorrect), l.group(card.TestTotal))
	fields := []*discordgo.MessageEmbedField{
		{Name: l.t("model.params"), Value: l.group(card.TotalParams), Inline: true},
		{Name: l.t("model.accuracy"), Value: acc, Inline: true},
		{Name: l.t("model.runtime"), Value: l.t("model.rt_val", card.Opset)},
		{Name: l.t("model.hash"), Value: "`" + card.ONNXSHA256 + "`"},
		{Name: l.t("model.source"), Value: modelSourceText(l, source)},
		{Name: l.t("model.data"), Value: clipRunes(trainingDataText(l, card.TrainingData), 1000)},
	}
	if t := card.Training; t.Epochs > 0 {
		aug := t.Augmentation
		if aug == "" {
			aug = "—"
		}
		fields = append(fields, &discordgo.MessageEmbedField{Name: l.t("model.training"),
			Value: clip(l.t("model.tr_val", t.Epochs, t.Seconds, t.Framework, aug), 1000)})
	}
	return &discordgo.MessageEmbed{
		Title:       l.t("model.title") + " · " + card.Name,
		Description: sb.String(),
		Color:       colorNeutral,
		Fields:      fields,
	}
}

// modelSourceText says which model runs: the embedded one, or a file
// (named without its directories, which are the host's business).
func modelSourceText(l lang, source string) string {
	if source == "" {
		return l.t("model.embedded")
	}
	return l.t("model.file", "`"+clip(filepath.Base(source), 200)+"`")
}

// trainingDataText lists where the model's training data came from: MNIST
// and each export of confirmed samples (by its content hash).
func trainingDataText(l lang, data []digitbot.DataSource) string {
	if len(data) == 0 {
		return l.t("model.data_unrecorded")
	}
	var lines []string
	for _, d := range data {
		if d.DatasheetSHA256 == "" {
			lines = append(lines, l.t("model.data_mnist", clip(d.Name, 40), l.group(d.Train), l.group(d.HeldOut)))
			continue
		}
		hash := clip(d.DatasheetSHA256, 64)
		if len(hash) > 12 {
			hash = hash[:12]
		}
		line := l.t("model.data_extra", l.group(d.Samples), hash, l.group(d.Corrections), l.group(d.Train), l.group(d.HeldOut))
		if d.HeldOut > 0 {
			line += " " + l.t("model.data_heldout", l.pct(float64(d.HeldOutCorrect)/float64(d.HeldOut)))
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// cmdHelp answers /help privately.
func (b *Bot) cmdHelp(c *call) {
	_, threshold := b.guildSettings(c.ctx, c.i.GuildID)
	embeds := []*discordgo.MessageEmbed{{
		Title:       c.l.t("help.title"),
		Description: c.l.t("help.body", c.l.pct(threshold)),
		Color:       colorNeutral,
	}}
	c.respond(&discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Embeds: embeds, Flags: discordgo.MessageFlagsEphemeral},
	})
}

// cmdConfig answers /config show|watch|unwatch|threshold for members with
// Manage Server.
func (b *Bot) cmdConfig(c *call) {
	if !c.inGuild() {
		c.ephemeral(c.l.t("err.only_in_server"))
		return
	}
	if !c.canManageGuild() {
		c.ephemeral(c.l.t("err.config_manage"))
		return
	}
	data := c.i.ApplicationCommandData()
	if len(data.Options) == 0 {
		c.ephemeral(c.l.t("err.unknown_command"))
		return
	}
	sub := data.Options[0]
	if c.deferReply(true) != nil {
		return
	}
	b.configMu.Lock()
	defer b.configMu.Unlock()
	cfg, err := b.store.GuildConfig(c.ctx, c.i.GuildID)
	if err != nil {
		b.log.Error("reading the server config failed", append(logAttrs(c.i, c.userID()), "err", err.Error())...)
		c.editText(c.l.t("err.internal"))
		return
	}
	cfg.GuildID = c.i.GuildID
	note := ""
	changed := false
	switch sub.Name {
	case "show":
		if !b.cfg.MessageContentIntent {
			note = c.l.t("config.no_intent")
		}
	case "watch", "unwatch":
		ch := ""
		if o := findOption(sub.Options, "channel"); o != nil {
			ch, _ = o.Value.(string)
		}
		if ch == "" {
			c.editText(c.l.t("err.unknown_command"))
			return
		}
		watching := slices.Contains(cfg.WatchedChannels, ch)
		switch {
		case sub.Name == "watch":
			if !watching {
				if len(cfg.WatchedChannels) >= maxWatchedChannels {
					c.editText(c.l.t("config.too_many", maxWatchedChannels))
					return
				}
				cfg.WatchedChannels = append(cfg.WatchedChannels, ch)
				changed = true
			}
			note = c.l.t("config.watch", "<#"+ch+">")
			if !b.cfg.MessageContentIntent {
				note += "\n" + c.l.t("config.no_intent")
			}
		case watching:
			cfg.WatchedChannels = slices.DeleteFunc(cfg.WatchedChannels, func(id string) bool { return id == ch })
			changed = true
			note = c.l.t("config.unwatch", "<#"+ch+">")
		default:
			note = c.l.t("config.not_watched", "<#"+ch+">")
		}
	case "threshold":
		o := findOption(sub.Options, "percent")
		if o == nil {
			c.editText(c.l.t("err.unknown_command"))
			return
		}
		p := min(max(int(o.IntValue()), 1), 99)
		cfg.Threshold = float64(p) / 100
		changed = true
		note = c.l.t("config.set_thresh", c.l.pct(cfg.Threshold))
	case "learning":
		o := findOption(sub.Options, "state")
		state := ""
		if o != nil {
			state, _ = o.Value.(string)
		}
		if state != digitbot.LearningOn && state != digitbot.LearningOff {
			c.editText(c.l.t("err.unknown_command"))
			return
		}
		cfg.Learning = state
		changed = true
		note = c.l.t("config.set_learning_on")
		if state == digitbot.LearningOff {
			note = c.l.t("config.set_learning_off")
		}
	default:
		c.editText(c.l.t("err.unknown_command"))
		return
	}
	if changed {
		cfg.UpdatedAt = b.now()
		cfg.UpdatedBy = c.userID()
		if err := b.store.SetGuildConfig(c.ctx, cfg); err != nil {
			if digitbot.ErrorCode(err) == digitbot.EINVALID {
				// The store's reason is English-only but says exactly
				// what is wrong; better than a vague sentence.
				b.log.Info("server config refused", append(logAttrs(c.i, c.userID()), "err", err.Error())...)
				c.editText(c.l.t("config.invalid", digitbot.ErrorMessage(err)))
				return
			}
			b.log.Error("saving the server config failed", append(logAttrs(c.i, c.userID()), "err", err.Error())...)
			c.editText(c.l.t("err.internal"))
			return
		}
		b.log.Info("server config changed", append(logAttrs(c.i, c.userID()), "change", sub.Name)...)
	}
	embeds := []*discordgo.MessageEmbed{b.configEmbed(c.l, cfg)}
	c.edit(&discordgo.WebhookEdit{Content: &note, Embeds: &embeds})
}

// configEmbed shows a server's effective configuration.
func (b *Bot) configEmbed(l lang, cfg digitbot.GuildConfig) *discordgo.MessageEmbed {
	var watched []string
	for _, id := range cfg.WatchedChannels {
		watched = append(watched, "<#"+id+">")
	}
	for _, id := range b.cfg.WatchedChannels {
		if !slices.Contains(cfg.WatchedChannels, id) {
			watched = append(watched, "<#"+id+"> "+l.t("config.from_file"))
		}
	}
	list := l.t("config.none")
	if len(watched) > 0 {
		list = strings.Join(watched, "\n")
	}
	threshold := b.cfg.Threshold
	if digitbot.ValidThreshold(cfg.Threshold) {
		threshold = cfg.Threshold
	}
	learning := l.t("config.learning_on")
	if !cfg.Contributes() {
		learning = l.t("config.learning_off")
	}
	return &discordgo.MessageEmbed{
		Title: l.t("config.title"),
		Color: colorNeutral,
		Fields: []*discordgo.MessageEmbedField{
			{Name: l.t("config.watched"), Value: truncate(list, 1000)},
			{Name: l.t("config.threshold"), Value: l.pct(threshold)},
			{Name: l.t("config.learning"), Value: learning},
		},
	}
}

// onGuildDelete purges a server's data when the bot is removed from it,
// and keeps it when the server is only unavailable (an outage).
func (b *Bot) onGuildDelete(_ *discordgo.Session, g *discordgo.GuildDelete) {
	if g.Guild == nil || g.ID == "" {
		return
	}
	if g.Unavailable {
		b.log.Warn("server unavailable (Discord outage); keeping its data", "guild_id", g.ID)
		return
	}
	id := g.ID
	b.track("guild_delete", func() { b.queueGuildPurge(id) })
}

// truncate cuts s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
