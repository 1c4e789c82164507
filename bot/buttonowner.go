package bot

import (
	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
)

// buttonBelongs reports whether a pressed evaluation button belongs to the
// message it was pressed on: the prediction it names must come from the
// same server and channel, and when the message answers an upload (a
// reply), from that upload. Discord only delivers custom_ids that are on
// the message, but the bot's own messages are not the only ones it can
// be made to send (a moderation tool or a compromised token could post a
// message carrying another answer's buttons), and a verdict is permanent.
func buttonBelongs(p digitbot.Prediction, i *discordgo.Interaction) bool {
	if p.GuildID != i.GuildID {
		return false
	}
	if p.ChannelID != "" && p.ChannelID != i.ChannelID {
		return false
	}
	m := i.Message
	if m == nil {
		return false
	}
	if m.ChannelID != "" && m.ChannelID != i.ChannelID {
		return false
	}
	if ref := m.MessageReference; ref != nil && ref.MessageID != "" {
		// A reply to an upload: the prediction must be of that upload.
		return p.MessageID == ref.MessageID
	}
	// An interaction's answer (/predict, Recognize digit) references no
	// message; only an answer to a plain upload must not lose its reply.
	return true
}
