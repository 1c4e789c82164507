package bot

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
)

// maxExportBytes keeps /export under Discord's default 10 MiB upload limit.
const maxExportBytes = 8 << 20

// cmdStats answers /stats [scope] [user]: the caller's own evaluations by
// default; the whole server or another member need Manage Server, checked
// here on the permissions Discord sent, not on what the client showed.
func (b *Bot) cmdStats(c *call) {
	data := c.i.ApplicationCommandData()
	scopeName := scopeMe
	if o := findOption(data.Options, "scope"); o != nil {
		scopeName = o.StringValue()
	}
	target := ""
	if o := findOption(data.Options, "user"); o != nil {
		if id, ok := o.Value.(string); ok {
			target = id
		}
	}
	scope := digitbot.Scope{UserID: c.userID()}
	title := c.l.t("stats.title.me")
	switch {
	case target != "" && target != c.userID():
		if !c.inGuild() {
			c.ephemeral(c.l.t("err.only_in_server"))
			return
		}
		if !c.canManageGuild() {
			c.ephemeral(c.l.t("err.need_manage"))
			return
		}
		// Only this server's part of another member's history.
		scope = digitbot.Scope{GuildID: c.i.GuildID, UserID: target}
		title = c.l.t("stats.title.user", clip(resolvedUserName(data.Resolved, target), 40))
	case scopeName == scopeServer:
		if !c.inGuild() {
			c.ephemeral(c.l.t("err.only_in_server"))
			return
		}
		if !c.canManageGuild() {
			c.ephemeral(c.l.t("err.need_manage"))
			return
		}
		scope = digitbot.Scope{GuildID: c.i.GuildID}
		title = c.l.t("stats.title.guild")
	}
	if c.rateLimited() {
		return
	}
	if !b.pool.enter() {
		c.ephemeral(c.l.t("err.busy"))
		return
	}
	defer b.pool.leave()
	if c.deferReply(true) != nil {
		return
	}
	stats, err := b.store.Stats(c.ctx, scope)
	if err != nil {
		b.log.Error("reading stats failed", append(logAttrs(c.i, c.userID()), "err", err.Error())...)
		c.editText(c.l.t("err.internal"))
		return
	}
	if stats.Total == 0 && stats.Numbers.Count == 0 {
		c.editText(c.l.t("stats.none"))
		return
	}
	_, threshold := b.guildSettings(c.ctx, c.i.GuildID)
	var png []byte
	err = b.pool.do(c.ctx, func() {
		png, err = b.render(stats, ChartRequest{Title: title, Threshold: threshold, Lang: c.l.code()})
	})
	if err != nil {
		b.log.Error("rendering stats failed", append(logAttrs(c.i, c.userID()), "err", err.Error())...)
		c.editText(c.l.t("err.internal"))
		return
	}
	embeds := []*discordgo.MessageEmbed{{
		Title:       title,
		Description: statsSummary(c.l, stats) + numbersSummary(c.l, stats.Numbers),
		Color:       colorNeutral,
		Image:       &discordgo.MessageEmbedImage{URL: "attachment://stats.png"},
	}}
	if c.edit(&discordgo.WebhookEdit{Embeds: &embeds, Files: []*discordgo.File{{Name: "stats.png", ContentType: "image/png", Reader: bytes.NewReader(png)}}}) == nil {
		b.metrics.ObserveReply(b.now().Sub(c.received))
	}
}

// resolvedUserName is the display name of a user option's value.
func resolvedUserName(r *discordgo.ApplicationCommandInteractionDataResolved, id string) string {
	if r != nil {
		if m := r.Members[id]; m != nil && m.Nick != "" {
			return m.Nick
		}
		if u := r.Users[id]; u != nil {
			return fmtUser(u)
		}
	}
	return "<@" + id + ">"
}

// cmdHistory answers /history [limit] privately: the caller's newest
// evaluations, everywhere.
func (b *Bot) cmdHistory(c *call) {
	limit := 10
	if o := findOption(c.i.ApplicationCommandData().Options, "limit"); o != nil {
		limit = min(max(int(o.IntValue()), 1), historyMax)
	}
	if c.deferReply(true) != nil {
		return
	}
	evals, err := b.store.History(c.ctx, digitbot.Scope{UserID: c.userID()}, limit)
	if err != nil {
		b.log.Error("reading history failed", append(logAttrs(c.i, c.userID()), "err", err.Error())...)
		c.editText(c.l.t("err.internal"))
		return
	}
	if len(evals) == 0 {
		c.editText(c.l.t("history.none"))
		return
	}
	embeds := []*discordgo.MessageEmbed{historyEmbed(c.l, evals)}
	c.edit(&discordgo.WebhookEdit{Embeds: &embeds})
}

// historyEmbed lists evaluations one a line: file, predicted (confidence)
// → true, and the date in the reader's own time zone (a Discord timestamp).
// historyEmbed lists evaluations, newest first. Times use Discord's
// timestamp markup in style f ("April 20, 2021 at 16:20", in the reader's
// own time zone and language); Discord shows a style it does not know as
// raw text.
func historyEmbed(l lang, evals []digitbot.Evaluation) *discordgo.MessageEmbed {
	var sb strings.Builder
	sb.WriteString("*" + l.t("history.header") + "*\n")
	for _, e := range evals {
		mark := "✅"
		if !e.Correct() {
			mark = "❌"
		}
		name := e.FileName
		if name == "" {
			name = l.t("history.unknown")
		}
		predicted, truth := fmt.Sprint(e.Predicted), fmt.Sprint(e.TrueDigit)
		if e.Number != nil {
			predicted, truth = e.Number.Predicted, e.Number.True
		}
		fmt.Fprintf(&sb, "`%s` · **%s** (%s) → **%s** %s · <t:%d:f>\n",
			clip(name, 32), predicted, l.pct(e.Confidence), truth, mark, e.EvaluatedAt.Unix())
	}
	title := l.t("history.title", len(evals))
	if len(evals) == 1 {
		title = l.t("history.title1")
	}
	return &discordgo.MessageEmbed{Title: title, Description: sb.String(), Color: colorNeutral}
}

// cappedBuffer is a bytes.Buffer that refuses to grow past max.
type cappedBuffer struct {
	bytes.Buffer
	max int
}

var errExportTooBig = errors.New("export larger than the upload limit")

func (w *cappedBuffer) Write(p []byte) (int, error) {
	if w.Len()+len(p) > w.max {
		return 0, errExportTooBig
	}
	return w.Buffer.Write(p)
}

// cmdExport answers /export privately with all the caller's evaluations
// as a CSV file.
func (b *Bot) cmdExport(c *call) {
	if c.rateLimited() {
		return
	}
	if c.deferReply(true) != nil {
		return
	}
	buf := &cappedBuffer{max: maxExportBytes}
	err := b.store.ExportCSV(c.ctx, digitbot.Scope{UserID: c.userID()}, buf)
	if errors.Is(err, errExportTooBig) {
		c.editText(c.l.t("export.too_big", humanBytes(maxExportBytes)))
		return
	}
	if err != nil {
		b.log.Error("export failed", append(logAttrs(c.i, c.userID()), "err", err.Error())...)
		c.editText(c.l.t("err.internal"))
		return
	}
	records, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
	if err != nil {
		b.log.Error("export produced bad CSV", append(logAttrs(c.i, c.userID()), "err", err.Error())...)
		c.editText(c.l.t("err.internal"))
		return
	}
	rows := len(records) - 1 // the header
	if rows <= 0 {
		c.editText(c.l.t("export.none"))
		return
	}
	text := c.l.t("export.done", rows)
	c.edit(&discordgo.WebhookEdit{Content: &text, Files: []*discordgo.File{{
		Name: "digitbot-evaluations.csv", ContentType: "text/csv", Reader: bytes.NewReader(buf.Bytes()),
	}}})
}

// cmdForget asks for confirmation before deleting the caller's data.
func (b *Bot) cmdForget(c *call) {
	c.respond(&discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{
			Content: c.l.t("forget.ask"),
			Flags:   discordgo.MessageFlagsEphemeral,
			Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				discordgo.Button{Label: c.l.t("forget.confirm"), Style: discordgo.DangerButton, CustomID: forgetCustomID("confirm", c.userID())},
				discordgo.Button{Label: c.l.t("forget.cancel"), Style: discordgo.SecondaryButton, CustomID: forgetCustomID("cancel", c.userID())},
			}}},
		},
	})
}

// onForgetButton deletes the user's data after the confirm press.
func (b *Bot) onForgetButton(c *call) {
	parts := strings.SplitN(c.i.MessageComponentData().CustomID, ":", 3)
	if len(parts) != 3 || parts[2] != c.userID() {
		c.ephemeral(c.l.t("err.not_your_button"))
		return
	}
	none := []discordgo.MessageComponent{}
	if parts[1] != "confirm" {
		c.respond(&discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseUpdateMessage,
			Data: &discordgo.InteractionResponseData{Content: c.l.t("forget.cancelled"), Components: none},
		})
		return
	}
	// Deleting can scan the whole file: acknowledge first.
	if c.respond(&discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}) != nil {
		return
	}
	// Work in flight for the user finishes first (bounded by what is left
	// of the interaction token's life), then nothing of theirs is saved
	// until the deletion is done.
	ctx, cancel := c.answerCtx()
	defer cancel()
	err := b.erase.erase(ctx, userKey(c.userID()), func() error { return b.store.ForgetUser(c.ctx, c.userID()) })
	if err != nil {
		b.log.Error("forgetting a user failed", append(logAttrs(c.i, c.userID()), "err", err.Error())...)
		text := c.l.t("err.internal")
		c.edit(&discordgo.WebhookEdit{Content: &text, Components: &none})
		return
	}
	b.limits.forget(c.userID())
	b.log.Info("user data deleted on request", "interaction_id", c.i.ID)
	text := c.l.t("forget.done")
	c.edit(&discordgo.WebhookEdit{Content: &text, Components: &none})
}

// statsSummary is the line above the /stats chart. Its figures are rounded
// as the chart's headline tiles round them (accuracy to 0.1 %, mean
// confidence to 1 %), so the text and the picture never disagree.
func statsSummary(l lang, s digitbot.Stats) string {
	return l.t("stats.summary", s.Total, l.pctDecimals(s.Accuracy(), 1), l.pctDecimals(s.MeanConfidence(), 0))
}
