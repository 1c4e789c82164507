package bot

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// sendWithFallbacks sends a message in a channel and, when Discord refuses
// it for a missing permission (403, code 50013), sends the most it may:
// without the reply reference (a reply needs Read Message History), then
// with the embeds written as text (embeds need Embed Links), then both.
// A server admin who trimmed the bot's role still gets answers; the log
// names the permission to give back. Only the first refusal costs extra
// requests, and only in the channels where permissions are missing.
func (b *Bot) sendWithFallbacks(ctx context.Context, channelID string, send *discordgo.MessageSend) error {
	err := b.sendOnce(ctx, channelID, send)
	if !missingPermissions(err) {
		return err
	}
	type variant struct {
		missing       string
		noRef, noEmbd bool
	}
	var tries []variant
	if send.Reference != nil {
		tries = append(tries, variant{"Read Message History (replies)", true, false})
	}
	if len(send.Embeds) > 0 {
		tries = append(tries, variant{"Embed Links", false, true})
		if send.Reference != nil {
			tries = append(tries, variant{"Read Message History and Embed Links", true, true})
		}
	}
	for _, v := range tries {
		alt := *send
		if v.noRef {
			alt.Reference = nil
		}
		if v.noEmbd {
			alt.Content = joinText(send.Content, embedsAsText(send.Embeds))
			alt.Embeds = nil
		}
		retryErr := b.sendOnce(ctx, channelID, &alt)
		if retryErr == nil {
			b.log.Warn("the bot lacks a permission in this channel; sent a reduced answer. Give the bot's role the permission back",
				"channel_id", channelID, "missing_permission", v.missing)
			return nil
		}
		if !missingPermissions(retryErr) {
			return retryErr
		}
	}
	b.log.Error("the bot may not send messages in this channel: give its role Send Messages (Send Messages in Threads for threads) and Attach Files",
		"channel_id", channelID)
	return err
}

// sendOnce sends one variant of an answer, retrying through rate limits
// for as long as ctx allows (see retrying).
func (b *Bot) sendOnce(ctx context.Context, channelID string, send *discordgo.MessageSend) error {
	return b.retrying(ctx, func(opts ...discordgo.RequestOption) error {
		// Files are readers: a retry must send them again from the start.
		for _, f := range send.Files {
			if s, ok := f.Reader.(io.Seeker); ok {
				if _, err := s.Seek(0, io.SeekStart); err != nil {
					return err
				}
			}
		}
		_, err := b.s.ChannelMessageSendComplex(channelID, send, opts...)
		return err
	})
}

// missingPermissions reports a 403 "Missing Permissions" (50013) refusal.
func missingPermissions(err error) bool {
	var re *discordgo.RESTError
	return errors.As(err, &re) && re.Message != nil && re.Message.Code == discordgo.ErrCodeMissingPermissions
}

// embedsAsText writes embeds as Markdown for a channel where the bot may
// not send embeds, within Discord's 2000 characters.
func embedsAsText(embeds []*discordgo.MessageEmbed) string {
	var sb strings.Builder
	for _, e := range embeds {
		if e == nil {
			continue
		}
		if e.Title != "" {
			sb.WriteString("**" + e.Title + "**\n")
		}
		if e.Description != "" {
			sb.WriteString(e.Description + "\n")
		}
		for _, f := range e.Fields {
			if f == nil || strings.TrimSpace(f.Value) == "" || f.Value == "\u200b" {
				continue
			}
			sb.WriteString("**" + f.Name + "**: " + strings.ReplaceAll(f.Value, "\n", " · ") + "\n")
		}
		if e.Footer != nil && e.Footer.Text != "" {
			sb.WriteString("-# " + e.Footer.Text + "\n")
		}
	}
	return strings.TrimSpace(sb.String())
}

// joinText puts two texts on separate lines and keeps the result within
// Discord's 2000-character limit.
func joinText(a, b string) string {
	s := strings.TrimSpace(a + "\n" + b)
	if r := []rune(s); len(r) > 2000 {
		s = string(r[:1999]) + "…"
	}
	return s
}
