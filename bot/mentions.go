package bot

import (
	"slices"

	"github.com/bwmarrin/discordgo"
)

// mentionsBot reports whether a message addresses the bot: a mention of
// the bot user (<@id>), or of the bot's managed role (<@&id>). Discord's
// "@" picker lists the role under the bot's name, and members often pick
// it; the message then has the role in mention_roles and nobody in
// mentions.
func (b *Bot) mentionsBot(m *discordgo.Message, me string) bool {
	if me == "" {
		return false
	}
	for _, u := range m.Mentions {
		if u != nil && u.ID == me {
			return true
		}
	}
	return b.mentionsOwnRole(m, me)
}

// mentionsOwnRole reports whether a message mentions the bot's managed role.
// discordgo v0.29.0's Role has no "tags" (which carry bot_id), so the
// bot's own role is recognised as a managed role the bot's member holds: a
// managed role belongs to exactly one integration. Both come from the
// state filled by GUILD_CREATE.
func (b *Bot) mentionsOwnRole(m *discordgo.Message, me string) bool {
	st := b.stateFor(m.GuildID)
	if m.GuildID == "" || len(m.MentionRoles) == 0 || st == nil {
		return false
	}
	member, err := st.Member(m.GuildID, me)
	if err != nil {
		return false
	}
	for _, id := range m.MentionRoles {
		if !slices.Contains(member.Roles, id) {
			continue
		}
		if r, err := st.Role(m.GuildID, id); err == nil && r.Managed {
			return true
		}
	}
	return false
}
