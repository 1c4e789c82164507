package bot

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// call is one interaction being answered.
type call struct {
	b        *Bot
	i        *discordgo.Interaction
	l        lang
	user     *discordgo.User
	received time.Time
	ctx      context.Context
}

// userID is who used the command or pressed the button.
func (c *call) userID() string {
	if c.user == nil {
		return ""
	}
	return c.user.ID
}

// inGuild reports whether the interaction came from a server (not a DM).
func (c *call) inGuild() bool { return c.i.GuildID != "" && c.i.Member != nil }

// canManageGuild reports whether the member has Manage Server in this
// channel, from the permissions Discord computed and sent with the
// interaction (Administrator implies it).
func (c *call) canManageGuild() bool {
	return c.inGuild() && c.i.Member.Permissions&(discordgo.PermissionManageGuild|discordgo.PermissionAdministrator) != 0
}

// interactionUser is the member's user in servers and the user in DMs.
func interactionUser(i *discordgo.Interaction) *discordgo.User {
	if i.Member != nil && i.Member.User != nil {
		return i.Member.User
	}
	return i.User
}

// interactionLang follows the user's client locale, then the server's.
func (b *Bot) interactionLang(i *discordgo.Interaction) lang {
	if i.Locale != "" {
		return parseLang(string(i.Locale))
	}
	if i.GuildLocale != nil && *i.GuildLocale != "" {
		return parseLang(string(*i.GuildLocale))
	}
	return parseLang(b.cfg.DefaultLocale)
}

// onInteractionCreate hands an interaction to a tracked goroutine, or,
// while shutting down, tells the user to come back (an unanswered
// interaction shows "the application did not respond").
func (b *Bot) onInteractionCreate(s *discordgo.Session, ic *discordgo.InteractionCreate) {
	if ic.Interaction == nil {
		return
	}
	received := time.Now()
	i := ic.Interaction
	c := &call{b: b, i: i, l: b.interactionLang(i), user: interactionUser(i), received: received, ctx: b.workCtx}
	if !b.track("interaction", func() { b.handleInteraction(c) }) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c.ctx = ctx
		c.ephemeral(c.l.t("err.restarting"))
	}
}

func (b *Bot) handleInteraction(c *call) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("panic in interaction handler", append(logAttrs(c.i, c.userID()), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))...)
			// Answers the user if nothing had answered them yet.
			c.ephemeral(c.l.t("err.internal"))
		}
	}()
	switch c.i.Type {
	case discordgo.InteractionApplicationCommand:
		name := c.i.ApplicationCommandData().Name
		h, ok := b.commands[name]
		if !ok {
			b.log.Warn("unknown command", append(logAttrs(c.i, c.userID()), "command", name)...)
			c.ephemeral(c.l.t("err.unknown_command"))
			return
		}
		h(c)
	case discordgo.InteractionMessageComponent:
		b.dispatchByPrefix(c, "component", b.components, c.i.MessageComponentData().CustomID)
	case discordgo.InteractionModalSubmit:
		b.dispatchByPrefix(c, "modal", b.modals, c.i.ModalSubmitData().CustomID)
	default:
		b.log.Debug("ignored interaction", "type", int(c.i.Type))
	}
}

// reqCtx bounds one REST call.
func (c *call) reqCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.ctx, c.b.cfg.RequestTimeout)
}

// answerCtx bounds the delivery of an edit or follow-up, retried through
// rate limits while the interaction's token is valid.
func (c *call) answerCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.ctx, interactionAnswerLifetime)
}

// initialResponseTimeout bounds the first response: after Discord's 3 s
// window the interaction token refuses it anyway, so retrying a 429 longer
// only delays the log line.
const initialResponseTimeout = 3 * time.Second

// respond sends the interaction's first response.
func (c *call) respond(resp *discordgo.InteractionResponse) error {
	if resp.Data != nil {
		fitEmbeds(resp.Data.Embeds)
	}
	ctx, cancel := context.WithTimeout(c.ctx, min(initialResponseTimeout, c.b.cfg.RequestTimeout))
	defer cancel()
	err := c.b.retrying(ctx, func(opts ...discordgo.RequestOption) error {
		return c.b.s.InteractionRespond(c.i, resp, opts...)
	})
	if err != nil {
		c.b.log.Error("interaction response failed", append(logAttrs(c.i, c.userID()), "type", int(resp.Type), "err", err.Error())...)
	}
	return err
}

// ephemeral answers with a text only the user sees.
func (c *call) ephemeral(text string) error {
	return c.respond(&discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: text, Flags: discordgo.MessageFlagsEphemeral},
	})
}

// deferReply acknowledges a command before slow work (type 5); the answer
// then replaces the "thinking…" message.
func (c *call) deferReply(private bool) error {
	data := &discordgo.InteractionResponseData{}
	if private {
		data.Flags = discordgo.MessageFlagsEphemeral
	}
	return c.respond(&discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource, Data: data})
}

// edit replaces the deferred or original response.
func (c *call) edit(e *discordgo.WebhookEdit) error {
	if e.Embeds != nil {
		fitEmbeds(*e.Embeds)
	}
	ctx, cancel := c.answerCtx()
	defer cancel()
	err := c.b.retrying(ctx, func(opts ...discordgo.RequestOption) error {
		_, err := c.b.s.InteractionResponseEdit(c.i, e, opts...)
		return err
	})
	if err != nil {
		c.b.log.Error("editing the interaction response failed", append(logAttrs(c.i, c.userID()), "err", err.Error())...)
	}
	return err
}

// editText replaces the deferred response with a text.
func (c *call) editText(text string) error {
	empty := []discordgo.MessageComponent{}
	noEmbeds := []*discordgo.MessageEmbed{}
	return c.edit(&discordgo.WebhookEdit{Content: &text, Components: &empty, Embeds: &noEmbeds})
}

// followup sends another message after the first response.
func (c *call) followup(p *discordgo.WebhookParams) error {
	fitEmbeds(p.Embeds)
	ctx, cancel := c.answerCtx()
	defer cancel()
	err := c.b.retrying(ctx, func(opts ...discordgo.RequestOption) error {
		_, err := c.b.s.FollowupMessageCreate(c.i, true, p, opts...)
		return err
	})
	if err != nil {
		c.b.log.Error("follow-up message failed", append(logAttrs(c.i, c.userID()), "err", err.Error())...)
	}
	return err
}

// privateFollowup sends a text only the user sees, after the first response.
func (c *call) privateFollowup(text string) error {
	return c.followup(&discordgo.WebhookParams{Content: text, Flags: discordgo.MessageFlagsEphemeral})
}

// deleteOriginal removes the deferred public response, so an error can be
// told privately instead.
func (c *call) deleteOriginal() error {
	ctx, cancel := c.reqCtx()
	defer cancel()
	err := c.b.s.InteractionResponseDelete(c.i, discordgo.WithContext(ctx))
	if err != nil {
		c.b.log.Error("deleting the interaction response failed", append(logAttrs(c.i, c.userID()), "err", err.Error())...)
	}
	return err
}

// rateLimited checks the user's rate limit and tells them when refused.
func (c *call) rateLimited() bool {
	ok, retry, _ := c.b.limits.allow(c.userID(), c.b.now())
	if ok {
		return false
	}
	c.b.metrics.ObserveRateLimited()
	c.b.log.Info("rate limited", append(logAttrs(c.i, c.userID()), "retry_in", retry.String())...)
	c.ephemeral(c.l.t("err.rate_limited", retrySeconds(retry)))
	return true
}

// findOption finds an option of a slash command by name.
func findOption(opts []*discordgo.ApplicationCommandInteractionDataOption, name string) *discordgo.ApplicationCommandInteractionDataOption {
	for _, o := range opts {
		if o.Name == name {
			return o
		}
	}
	return nil
}

func fmtUser(u *discordgo.User) string {
	if u == nil {
		return "?"
	}
	if u.GlobalName != "" {
		return u.GlobalName
	}
	return u.Username
}

// logAttrs are the log fields every interaction line carries.
func logAttrs(i *discordgo.Interaction, userID string) []any {
	return []any{slog.String("interaction_id", i.ID), slog.String("guild_id", i.GuildID), slog.String("user_id", userID)}
}

// dispatchByPrefix runs the handler keyed by the custom_id's prefix (the
// part before the first ':'), or refuses an unknown one privately.
func (b *Bot) dispatchByPrefix(c *call, kind string, handlers map[string]func(*call), customID string) {
	prefix, _, _ := strings.Cut(customID, ":")
	h, ok := handlers[prefix]
	if !ok {
		b.log.Warn("unknown "+kind, append(logAttrs(c.i, c.userID()), "custom_id", customID)...)
		c.ephemeral(c.l.t("err.unknown_command"))
		return
	}
	h(c)
}
