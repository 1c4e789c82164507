package fakediscord

import "fmt"

// wireMessageSnapshot is one entry of a forwarded message's
// "message_snapshots": a copy of the forwarded message frozen when it was
// forwarded, with "only the minimal set of fields" (no author, no id)
// (https://discord.com/developers/docs/resources/message#message-snapshot-object).
type wireMessageSnapshot struct {
	Message wireSnapshotMessage `json:"message"`
}

// wireSnapshotMessage is the documented subset: type, content, embeds,
// attachments, timestamp, edited_timestamp, flags, mentions, mention_roles,
// stickers, sticker_items and components.
type wireSnapshotMessage struct {
	Type            int              `json:"type"`
	Content         string           `json:"content"`
	Embeds          []any            `json:"embeds"`
	Attachments     []wireAttachment `json:"attachments"`
	Timestamp       string           `json:"timestamp"`
	EditedTimestamp *string          `json:"edited_timestamp"`
	Flags           int              `json:"flags"`
	Mentions        []wireUser       `json:"mentions"`
	MentionRoles    []string         `json:"mention_roles"`
	Components      []any            `json:"components"`
}

// messageRefForward is message_reference.type FORWARD
// (https://discord.com/developers/docs/resources/message#message-reference-types).
const messageRefForward = 1

// forwardLocked builds the message a user posts by forwarding message
// srcID into ch: no content or attachments of its own, a message_reference
// of type FORWARD, and the forwarded message in message_snapshots (the
// picture's attachment is there, not in "attachments").
func (s *Server) forwardLocked(ch *channelState, author wireUser, srcID string) (*storedMessage, error) {
	src, ok := s.messages[srcID]
	if !ok || src.deleted || src.visibleTo != "" {
		return nil, fmt.Errorf("fakediscord: cannot forward unknown message %s", srcID)
	}
	m := src.msg.clone()
	snap := wireSnapshotMessage{Type: m.Type, Content: m.Content, Embeds: []any{}, Attachments: m.Attachments,
		Timestamp: m.Timestamp, EditedTimestamp: m.EditedTimestamp, Flags: m.Flags, Mentions: m.Mentions,
		MentionRoles: m.MentionRoles, Components: []any{}}
	for _, e := range m.Embeds {
		snap.Embeds = append(snap.Embeds, e)
	}
	if snap.Attachments == nil {
		snap.Attachments = []wireAttachment{}
	}
	msg := wireMessage{
		ID: s.newIDLocked(), Type: 0, ChannelID: ch.ID, GuildID: ch.GuildID, Author: author,
		Timestamp: timestamp(s.clock.Now()), Mentions: []wireUser{}, MentionRoles: []string{},
		Attachments: []wireAttachment{}, Embeds: nil, Components: normComponents(nil),
		MessageReference: &wireMessageReference{Type: messageRefForward, MessageID: m.ID, ChannelID: m.ChannelID, GuildID: m.GuildID},
		MessageSnapshots: []wireMessageSnapshot{{Message: snap}},
	}
	if ch.GuildID != "" {
		msg.Member = s.memberLocked(s.guilds[ch.GuildID], author.ID, false, false)
	}
	sm := &storedMessage{msg: msg}
	sm.fileIDs = append(sm.fileIDs, src.fileIDs...)
	return sm, nil
}
