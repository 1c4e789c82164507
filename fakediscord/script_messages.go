package fakediscord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// File is an attachment's name, type and bytes.
type File struct {
	Name        string
	ContentType string // detected from the name or bytes when empty
	Data        []byte
}

// Message is a snapshot of a stored message: the discordgo view the bot
// would decode, plus what only the server knows.
type Message struct {
	*discordgo.Message
	// VisibleTo is the only user who can see an ephemeral message ("" = everyone).
	VisibleTo string
	Ephemeral bool
	// Loading is true for a deferred response not yet edited ("thinking...").
	Loading bool
	Deleted bool
	// Edits is how many times the message was edited.
	Edits int
	// Files are the bytes of the message's current attachments, including
	// those shown inside embeds via attachment://.
	Files         []File
	InteractionID string
	// Unrendered is markup that Discord would show as raw text instead of
	// rendering, e.g. a timestamp <t:…:g> with a style Discord does not
	// have. A bot's messages should leave it empty.
	Unrendered []string // ShownTwice names the files Discord shows twice: as an attachment and
	// inside an embed that points at the file's CDN URL instead of
	// attachment://name.
	ShownTwice []string
}

// Buttons lists the message's buttons in order, row by row.
func (m *Message) Buttons() []*discordgo.Button {
	var out []*discordgo.Button
	for _, c := range m.Components {
		row, ok := c.(*discordgo.ActionsRow)
		if !ok {
			continue
		}
		for _, rc := range row.Components {
			if b, ok := rc.(*discordgo.Button); ok {
				out = append(out, b)
			}
		}
	}
	return out
}

// File returns the attached file with the given name.
func (m *Message) File(name string) (File, bool) {
	for _, f := range m.Files {
		if f.Name == name {
			return f, true
		}
	}
	return File{}, false
}

// snapshotLocked returns a fresh snapshot the caller may keep or modify.
func (s *Server) snapshotLocked(sm *storedMessage) *Message {
	return copySnapshot(s.cachedSnapshotLocked(sm))
}

// copySnapshot copies a snapshot deeply enough that the cache cannot be
// reached through it (the discordgo message is re-decoded).
func copySnapshot(m *Message) *Message {
	b, err := json.Marshal(m.Message)
	if err != nil {
		panic(fmt.Sprintf("fakediscord: marshal snapshot: %v", err))
	}
	var dm discordgo.Message
	if err := json.Unmarshal(b, &dm); err != nil {
		panic(fmt.Sprintf("fakediscord: unmarshal snapshot: %v", err))
	}
	c := *m
	c.Message = &dm
	// discordgo.Message does not marshal its components: copy them over
	// (component values are read-only structs built by discordgo).
	c.Message.Components = append([]discordgo.MessageComponent(nil), m.Message.Components...)
	c.Unrendered = append([]string(nil), m.Unrendered...)
	c.ShownTwice = append([]string(nil), m.ShownTwice...)
	c.Files = make([]File, len(m.Files))
	for i, f := range m.Files {
		c.Files[i] = File{Name: f.Name, ContentType: f.ContentType, Data: append([]byte(nil), f.Data...)}
	}
	return &c
}

// cachedSnapshotLocked returns the shared snapshot of a message; callers
// must not modify it.
func (s *Server) cachedSnapshotLocked(sm *storedMessage) *Message {
	if sm.snap != nil {
		return sm.snap
	}
	sm.snap = s.buildSnapshotLocked(sm)
	return sm.snap
}

func (s *Server) buildSnapshotLocked(sm *storedMessage) *Message {
	b, err := json.Marshal(sm.msg)
	if err != nil {
		panic(fmt.Sprintf("fakediscord: marshal message: %v", err))
	}
	var dm discordgo.Message
	if err := json.Unmarshal(b, &dm); err != nil {
		panic(fmt.Sprintf("fakediscord: discordgo cannot decode a message: %v", err))
	}
	m := &Message{Message: &dm, VisibleTo: sm.visibleTo, Ephemeral: sm.msg.Flags&msgFlagEphemeral != 0,
		Loading: sm.msg.Flags&msgFlagLoading != 0, Deleted: sm.deleted, Edits: len(sm.versions), InteractionID: sm.interactionID}
	m.Unrendered = messageUnrendered(&dm)
	current := map[string]bool{}
	for _, a := range sm.msg.Attachments {
		current[a.ID] = true
	}
	embedJSON, _ := json.Marshal(sm.msg.Embeds)
	for _, id := range sm.fileIDs {
		f, ok := s.files[id]
		if !ok {
			continue
		}
		inEmbed := strings.Contains(string(embedJSON), f.Path)
		if current[id] || inEmbed {
			m.Files = append(m.Files, File{Name: f.Name, ContentType: f.ContentType, Data: f.Data})
		}
		if current[id] && inEmbed {
			m.ShownTwice = append(m.ShownTwice, f.Name)
		}
	}
	return m
}

func (s *Server) ensureUserLocked(u *discordgo.User) wireUser {
	if u == nil {
		u = &discordgo.User{ID: DefaultUserID, Username: DefaultUserName}
	}
	if existing, ok := s.users[u.ID]; ok && (u.Username == "" || u.Username == existing.Username) {
		return *existing
	}
	name := u.Username
	if name == "" {
		name = "user" + u.ID
	}
	wu := &wireUser{ID: u.ID, Username: name, Discriminator: "0", Bot: u.Bot}
	if u.GlobalName != "" {
		g := u.GlobalName
		wu.GlobalName = &g
	}
	s.users[u.ID] = wu
	return *wu
}

func (s *Server) ensureMemberLocked(g *guildState, userID string, perms *int64) {
	ms, ok := g.Members[userID]
	if !ok {
		ms = &memberState{UserID: userID, JoinedAt: s.clock.Now(), Permissions: defaultMemberPermisson}
		g.Members[userID] = ms
	}
	if perms != nil {
		ms.Permissions = *perms
	}
}

// resolveChannelLocked picks the channel for a scripted action: an explicit
// channel, the first channel of a guild, the default guild's first channel,
// or (dm) the user's DM channel.
func (s *Server) resolveChannelLocked(channelID, guildID string, dm bool, userID string) (*channelState, error) {
	if dm {
		return s.dmChannelLocked(userID), nil
	}
	if channelID != "" {
		ch, ok := s.channels[channelID]
		if !ok {
			return nil, fmt.Errorf("fakediscord: unknown channel %s", channelID)
		}
		if guildID != "" && ch.GuildID != guildID {
			return nil, fmt.Errorf("fakediscord: channel %s is not in guild %s", channelID, guildID)
		}
		return ch, nil
	}
	if guildID == "" {
		guildID = s.guildOrder[0]
	}
	g, ok := s.guilds[guildID]
	if !ok {
		return nil, fmt.Errorf("fakediscord: unknown guild %s", guildID)
	}
	return s.channels[g.Channels[0]], nil
}

// MessageOptions describe a message a user posts.
type MessageOptions struct {
	// ChannelID, or GuildID for its first channel; both empty means the
	// default guild's first channel unless DM is set.
	ChannelID string
	GuildID   string
	// DM posts in the author's DM channel with the bot.
	DM bool
	// Author defaults to DefaultUserID / DefaultUserName.
	Author      *discordgo.User
	Content     string
	Attachments []File
	// MentionBot adds a "<@bot>" mention to the content.
	MentionBot bool
	// MentionBotRole adds a mention of the bot's managed role ("<@&role>"),
	// what Discord's "@" picker often inserts when a user picks the bot.
	MentionBotRole bool
	// Mentions are user ids mentioned (added to the content as <@id>).
	Mentions []string
	// ReplyTo makes the message a reply to that message id.
	ReplyTo string
	// Forward forwards the message with that id: the new message has no
	// content or attachments of its own, only a message_reference of type
	// FORWARD and the forwarded message in message_snapshots. Content,
	// Attachments, mentions and ReplyTo must be empty.
	Forward string
	// Embeds, rarely posted by users but possible.
	Embeds []*discordgo.MessageEmbed
}

// PostMessage stores a user's message (its attachments go on the CDN) and
// dispatches MESSAGE_CREATE, applying the Message Content intent rule per
// gateway session.
func (s *Server) PostMessage(o MessageOptions) (*Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("fakediscord: server closed")
	}
	if o.Author != nil {
		if err := checkSnowflake("author id", o.Author.ID); err != nil {
			return nil, err
		}
	}
	for _, id := range o.Mentions {
		if err := checkSnowflake("mentioned user id", id); err != nil {
			return nil, err
		}
	}
	author := s.ensureUserLocked(o.Author)
	if author.ID == s.opts.AppID {
		return nil, errors.New("fakediscord: PostMessage posts as a user; the bot posts through the API")
	}
	ch, err := s.resolveChannelLocked(o.ChannelID, o.GuildID, o.DM, author.ID)
	if err != nil {
		return nil, err
	}
	content := o.Content
	if o.MentionBot && !strings.Contains(content, "<@"+s.opts.AppID+">") {
		content = strings.TrimSpace("<@" + s.opts.AppID + "> " + content)
	}
	if g, ok := s.guilds[ch.GuildID]; ok && o.MentionBotRole && !strings.Contains(content, "<@&"+g.BotRoleID+">") {
		content = strings.TrimSpace("<@&" + g.BotRoleID + "> " + content)
	}
	for _, id := range o.Mentions {
		s.ensureUserLocked(&discordgo.User{ID: id})
		if !strings.Contains(content, "<@"+id+">") {
			content = strings.TrimSpace(content + " <@" + id + ">")
		}
	}
	if o.Forward != "" {
		if o.Content != "" || len(o.Attachments) > 0 || o.MentionBot || o.MentionBotRole || len(o.Mentions) > 0 || o.ReplyTo != "" || len(o.Embeds) > 0 {
			return nil, errors.New("fakediscord: a forwarded message has no content, attachments, mentions or reply of its own")
		}
		sm, err := s.forwardLocked(ch, author, o.Forward)
		if err != nil {
			return nil, err
		}
		s.storeMessageLocked(sm)
		return s.snapshotLocked(sm), nil
	}
	ups := make([]upload, len(o.Attachments))
	for i, f := range o.Attachments {
		if int64(len(f.Data)) > s.opts.MaxFileSize {
			return nil, fmt.Errorf("fakediscord: attachment %q is %d bytes, over the %d-byte limit", f.Name, len(f.Data), s.opts.MaxFileSize)
		}
		ups[i] = upload{index: i, name: f.Name, contentType: f.ContentType, data: f.Data}
	}
	if ch.GuildID != "" {
		s.ensureMemberLocked(s.guilds[ch.GuildID], author.ID, nil)
	}
	in := &msgInput{present: map[string]bool{}, content: content, embeds: o.Embeds, components: json.RawMessage("[]")}
	if o.ReplyTo != "" {
		in.ref = &wireMessageReference{MessageID: o.ReplyTo}
	}
	stored := s.storeUploadsLocked(ch.ID, "", ups, false)
	sm, aerr := s.buildBotMessageLocked(ch, in, stored)
	if aerr != nil {
		s.dropFilesLocked(stored)
		return nil, aerr
	}
	sm.msg.Author = author
	if ch.GuildID != "" {
		sm.msg.Member = s.memberLocked(s.guilds[ch.GuildID], author.ID, false, false)
	}
	s.storeMessageLocked(sm)
	return s.snapshotLocked(sm), nil
}

// Message returns a snapshot of a message by id.
func (s *Server) Message(id string) (*Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sm, ok := s.messages[id]
	if !ok {
		return nil, false
	}
	return s.snapshotLocked(sm), true
}

// Messages returns the messages of a channel (including ephemeral and
// deleted ones), oldest first.
func (s *Server) Messages(channelID string) []*Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Message
	for _, id := range s.channelMsgs[channelID] {
		out = append(out, s.snapshotLocked(s.messages[id]))
	}
	return out
}

// WaitMessage waits for a message (existing or future, in any channel) for
// which match returns true, and returns its latest snapshot. match sees
// every message on each change, so it can wait for an edit too; it runs
// with the server locked and must only read the message it is given.
func (s *Server) WaitMessage(ctx context.Context, match func(*Message) bool) (*Message, error) {
	var found *Message
	err := s.waitFor(ctx, func() bool {
		for _, id := range s.messageOrder {
			if m := s.cachedSnapshotLocked(s.messages[id]); match(m) {
				found = copySnapshot(m)
				return true
			}
		}
		return false
	})
	return found, err
}

// DMChannel returns the DM channel id between the bot and a user, creating it.
func (s *Server) DMChannel(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureUserLocked(&discordgo.User{ID: userID})
	return s.dmChannelLocked(userID).ID
}
