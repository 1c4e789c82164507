package bot

import "github.com/bwmarrin/discordgo"

// messageAttachments are the files a message brings: its own, and for a
// forwarded message those of the forwarded message. A forward carries
// nothing itself; the forwarded message is in message_snapshots
// (https://discord.com/developers/docs/resources/message#message-reference-content-attribution-forwards),
// which discordgo v0.29.0 decodes into Message.MessageSnapshots.
func messageAttachments(m *discordgo.Message) []*discordgo.MessageAttachment {
	out := append([]*discordgo.MessageAttachment(nil), m.Attachments...)
	if m.MessageReference == nil || m.MessageReference.Type != discordgo.MessageReferenceTypeForward {
		return out
	}
	for _, s := range m.MessageSnapshots {
		if s.Message != nil {
			out = append(out, s.Message.Attachments...)
		}
	}
	return out
}
