package discordtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

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
		panic(fmt.Sprintf("discordtest: marshal snapshot: %v", err))
	}
	var dm discordgo.Message
	if err := json.Unmarshal(b, &dm); err != nil {
		panic(fmt.Sprintf("discordtest: unmarshal snapshot: %v", err))
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
		panic(fmt.Sprintf("discordtest: marshal message: %v", err))
	}
	var dm discordgo.Message
	if err := json.Unmarshal(b, &dm); err != nil {
		panic(fmt.Sprintf("discordtest: discordgo cannot decode a message: %v", err))
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
			return nil, fmt.Errorf("discordtest: unknown channel %s", channelID)
		}
		if guildID != "" && ch.GuildID != guildID {
			return nil, fmt.Errorf("discordtest: channel %s is not in guild %s", channelID, guildID)
		}
		return ch, nil
	}
	if guildID == "" {
		guildID = s.guildOrder[0]
	}
	g, ok := s.guilds[guildID]
	if !ok {
		return nil, fmt.Errorf("discordtest: unknown guild %s", guildID)
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
		return nil, errors.New("discordtest: server closed")
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
		return nil, errors.New("discordtest: PostMessage posts as a user; the bot posts through the API")
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
			return nil, errors.New("discordtest: a forwarded message has no content, attachments, mentions or reply of its own")
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
			return nil, fmt.Errorf("discordtest: attachment %q is %d bytes, over the %d-byte limit", f.Name, len(f.Data), s.opts.MaxFileSize)
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

// MessageVersions returns every version of a message, oldest first, the
// current one last.
func (s *Server) MessageVersions(id string) []*Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	sm, ok := s.messages[id]
	if !ok {
		return nil
	}
	var out []*Message
	for _, v := range sm.versions {
		old := *sm
		old.msg = v
		old.versions = nil
		out = append(out, s.snapshotLocked(&old))
	}
	return append(out, s.snapshotLocked(sm))
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

// Commands returns the commands registered for a guild ("" = global).
func (s *Server) Commands(guildID string) []*discordgo.ApplicationCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(s.commands[guildID])
	var out []*discordgo.ApplicationCommand
	_ = json.Unmarshal(b, &out)
	return out
}

// WaitCommands waits until a command with each name is registered in the
// guild ("" = global).
func (s *Server) WaitCommands(ctx context.Context, guildID string, names ...string) error {
	return s.waitFor(ctx, func() bool {
		for _, n := range names {
			found := false
			for _, c := range s.commands[guildID] {
				found = found || c.Name == n
			}
			if !found {
				return false
			}
		}
		return true
	})
}

// WaitConnections waits until n gateway connections are ready.
func (s *Server) WaitConnections(ctx context.Context, n int) error {
	return s.waitFor(ctx, func() bool {
		c := 0
		for conn := range s.conns {
			if conn.ready && !conn.closing {
				c++
			}
		}
		return c >= n
	})
}

// Requests returns the REST calls answered so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ---- interactions ----

// Interaction is a scripted interaction: inspect how the bot answered it.
type Interaction struct {
	s  *Server
	id string
	// Payload is the INTERACTION_CREATE data as discordgo decodes it.
	Payload *discordgo.Interaction
}

// Actor says who acts in a scripted interaction and where.
type Actor struct {
	// User defaults to DefaultUserID / DefaultUserName.
	User *discordgo.User
	// ChannelID / GuildID as in MessageOptions; DM acts in the user's DM.
	ChannelID string
	GuildID   string
	DM        bool
	// Permissions overrides the member's permissions in the guild (default:
	// view, send, embeds, files, history, application commands).
	Permissions *int64
	// Locale is the user's client locale (default "en-US").
	Locale string
}

// CommandOptions describe a slash command invocation.
type CommandOptions struct {
	Actor
	Name string
	// Options maps option names to values: string, int, int64, float64,
	// bool, a user/channel/role id string, or File / *File for attachment
	// options. For a subcommand use Subcommand.
	Options    map[string]any
	Subcommand string
}

func (s *Server) actorLocked(a Actor) (wireUser, *channelState, error) {
	if a.User != nil {
		if err := checkSnowflake("user id", a.User.ID); err != nil {
			return wireUser{}, nil, err
		}
	}
	user := s.ensureUserLocked(a.User)
	ch, err := s.resolveChannelLocked(a.ChannelID, a.GuildID, a.DM, user.ID)
	if err != nil {
		return user, nil, err
	}
	if ch.GuildID != "" {
		if s.guilds[ch.GuildID].removed {
			return user, nil, fmt.Errorf("discordtest: the bot is not in guild %s (RemoveBotFromGuild)", ch.GuildID)
		}
		s.ensureMemberLocked(s.guilds[ch.GuildID], user.ID, a.Permissions)
	}
	return user, ch, nil
}

// findCommandLocked looks a command up the way a Discord client offers it:
// guild commands in that guild, then global ones usable in the context.
func (s *Server) findCommandLocked(name string, typ int, ch *channelState, userID string) (*wireCommand, error) {
	var scopes []string
	if ch.GuildID != "" {
		scopes = append(scopes, ch.GuildID)
	}
	scopes = append(scopes, "")
	for _, g := range scopes {
		for _, c := range s.commands[g] {
			if c.Name != name || c.Type != typ {
				continue
			}
			ctx := 0
			if ch.GuildID == "" {
				ctx = 1
			}
			allowed := false
			for _, x := range c.Contexts {
				allowed = allowed || x == ctx
			}
			if !allowed {
				return nil, fmt.Errorf("discordtest: command %q is not available in this context (contexts %v)", name, c.Contexts)
			}
			if c.DefaultMemberPermissions != nil && ch.GuildID != "" {
				var need int64
				fmt.Sscan(*c.DefaultMemberPermissions, &need)
				have := s.permissionsLocked(s.guilds[ch.GuildID], userID)
				if have&need != need {
					return nil, fmt.Errorf("discordtest: user %s lacks default_member_permissions %d for %q: Discord does not offer the command", userID, need, name)
				}
			}
			return c, nil
		}
	}
	return nil, fmt.Errorf("discordtest: no registered command %q of type %d for this channel (the bot must register it first)", name, typ)
}

func (s *Server) newInteractionLocked(typ int, ch *channelState, user wireUser, locale string, data any, msg *wireMessage) *interactionState {
	if locale == "" {
		locale = "en-US"
	}
	now := s.clock.Now()
	it := &interactionState{id: s.newIDLocked(), token: "aW50ZXJhY3Rpb246" + randomToken(40), typ: typ, created: now,
		userID: user.ID, channelID: ch.ID, guildID: ch.GuildID}
	p := map[string]any{
		"id": it.id, "application_id": s.opts.AppID, "type": typ, "data": data,
		"channel_id": ch.ID, "channel": s.channelJSONLocked(ch), "token": it.token, "version": 1,
		"locale": locale, "entitlements": []any{}, "attachment_size_limit": s.opts.MaxFileSize,
	}
	if ch.GuildID != "" {
		g := s.guilds[ch.GuildID]
		p["guild_id"] = g.ID
		p["guild"] = map[string]any{"id": g.ID, "locale": "en-US", "features": []string{}}
		p["guild_locale"] = "en-US"
		p["member"] = s.memberLocked(g, user.ID, true, true)
		p["app_permissions"] = fmt.Sprint(s.permissionsLocked(g, s.opts.AppID))
		p["context"] = 0
		p["authorizing_integration_owners"] = map[string]string{"0": g.ID}
	} else {
		p["user"] = user
		p["app_permissions"] = fmt.Sprint(permViewChannel | permSendMessages | permEmbedLinks | permAttachFiles | permReadHistory)
		p["context"] = 1
		p["authorizing_integration_owners"] = map[string]string{"0": "0"}
	}
	if msg != nil {
		p["message"] = msg
	}
	b, _ := json.Marshal(p)
	it.payload = b
	s.interactions[it.id] = it
	s.byToken[it.token] = it
	s.dispatchLocked("INTERACTION_CREATE", ch.GuildID, func(*gwSession) (any, bool) { return json.RawMessage(b), true })
	s.publishInteractionLocked(it)
	return it
}

func (s *Server) interactionHandleLocked(it *interactionState) (*Interaction, error) {
	var di discordgo.Interaction
	if err := json.Unmarshal(it.payload, &di); err != nil {
		return nil, fmt.Errorf("discordtest: discordgo cannot decode the interaction: %w", err)
	}
	return &Interaction{s: s, id: it.id, Payload: &di}, nil
}

// RunSlashCommand invokes a registered chat-input command as a user. The
// options are checked against the registered definition (unknown option,
// missing required option, wrong type or choice → error).
func (s *Server) RunSlashCommand(o CommandOptions) (*Interaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	user, ch, err := s.actorLocked(o.Actor)
	if err != nil {
		return nil, err
	}
	cmd, err := s.findCommandLocked(o.Name, cmdChatInput, ch, user.ID)
	if err != nil {
		return nil, err
	}
	defs := cmd.Options
	var wrap func([]any) []any = func(x []any) []any { return x }
	if o.Subcommand != "" {
		var sub *wireCommandOption
		for _, d := range cmd.Options {
			if d.Type == optSubCommand && d.Name == o.Subcommand {
				sub = d
			}
		}
		if sub == nil {
			return nil, fmt.Errorf("discordtest: command %q has no subcommand %q", o.Name, o.Subcommand)
		}
		defs = sub.Options
		wrap = func(x []any) []any {
			return []any{map[string]any{"type": optSubCommand, "name": sub.Name, "options": x}}
		}
	}
	resolved := map[string]map[string]any{}
	addResolved := func(kind, id string, v any) {
		if resolved[kind] == nil {
			resolved[kind] = map[string]any{}
		}
		resolved[kind][id] = v
	}
	opts := []any{}
	known := map[string]bool{}
	for _, d := range defs {
		known[d.Name] = true
		v, given := o.Options[d.Name]
		if !given {
			if d.Required {
				return nil, fmt.Errorf("discordtest: required option %q of /%s missing", d.Name, o.Name)
			}
			continue
		}
		val, err := s.optionValueLocked(d, v, ch, addResolved)
		if err != nil {
			return nil, fmt.Errorf("discordtest: option %q of /%s: %w", d.Name, o.Name, err)
		}
		opts = append(opts, map[string]any{"name": d.Name, "type": d.Type, "value": val})
	}
	for name := range o.Options {
		if !known[name] {
			return nil, fmt.Errorf("discordtest: /%s has no option %q", o.Name, name)
		}
	}
	data := map[string]any{"id": cmd.ID, "name": cmd.Name, "type": cmdChatInput, "options": wrap(opts)}
	if cmd.GuildID != "" {
		data["guild_id"] = cmd.GuildID
	}
	if len(resolved) > 0 {
		data["resolved"] = resolved
	}
	it := s.newInteractionLocked(interactionCommand, ch, user, o.Locale, data, nil)
	it.name, it.commandType = cmd.Name, cmdChatInput
	return s.interactionHandleLocked(it)
}

func (s *Server) optionValueLocked(d *wireCommandOption, v any, ch *channelState, addResolved func(kind, id string, v any)) (any, error) {
	switch d.Type {
	case optString:
		str, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a string, got %T", v)
		}
		if len(d.Choices) > 0 && !hasChoice(d.Choices, str) {
			return nil, fmt.Errorf("%q is not one of the choices", str)
		}
		return str, nil
	case optInteger:
		var n int64
		switch x := v.(type) {
		case int:
			n = int64(x)
		case int64:
			n = x
		default:
			return nil, fmt.Errorf("want an integer, got %T", v)
		}
		if len(d.Choices) > 0 && !hasChoice(d.Choices, n) {
			return nil, fmt.Errorf("%d is not one of the choices", n)
		}
		return n, nil
	case optNumber:
		switch x := v.(type) {
		case float64:
			return x, nil
		case int:
			return float64(x), nil
		}
		return nil, fmt.Errorf("want a number, got %T", v)
	case optBoolean:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("want a bool, got %T", v)
		}
		return b, nil
	case optUser, optMentionable:
		id, ok := v.(string)
		if !ok || !validSnowflake(id) {
			return nil, fmt.Errorf("want a user id (snowflake string), got %T %v", v, v)
		}
		u := s.ensureUserLocked(&discordgo.User{ID: id})
		addResolved("users", id, u)
		if ch.GuildID != "" {
			if m := s.memberLocked(s.guilds[ch.GuildID], id, false, true); m != nil {
				addResolved("members", id, m)
			}
		}
		return id, nil
	case optChannel:
		id, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a channel id string, got %T", v)
		}
		c, ok := s.channels[id]
		if !ok {
			return nil, fmt.Errorf("unknown channel %s", id)
		}
		addResolved("channels", id, s.channelJSONLocked(c))
		return id, nil
	case optRole:
		id, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a role id string, got %T", v)
		}
		addResolved("roles", id, wireRole{ID: id, Name: "role", Permissions: "0"})
		return id, nil
	case optAttachment:
		var f File
		switch x := v.(type) {
		case File:
			f = x
		case *File:
			if x == nil {
				return nil, errors.New("nil *File")
			}
			f = *x
		default:
			return nil, fmt.Errorf("want a discordtest.File, got %T", v)
		}
		if int64(len(f.Data)) > s.opts.MaxFileSize {
			return nil, fmt.Errorf("attachment is %d bytes, over the %d-byte limit", len(f.Data), s.opts.MaxFileSize)
		}
		stored := s.storeUploadsLocked(ch.ID, s.opts.AppID, []upload{{name: f.Name, contentType: f.ContentType, data: f.Data}}, true)
		a := s.wireAttachmentLocked(stored[0], true)
		addResolved("attachments", a.ID, a)
		return a.ID, nil
	}
	return nil, fmt.Errorf("option type %d not supported by the script", d.Type)
}

func hasChoice(choices []wireChoice, v any) bool {
	for _, c := range choices {
		switch want := c.Value.(type) {
		case string:
			if s, ok := v.(string); ok && s == want {
				return true
			}
		case float64:
			if n, ok := v.(int64); ok && float64(n) == want {
				return true
			}
		}
	}
	return false
}

// MessageCommandOptions describe a message context-menu invocation
// (Apps → <Name> on a message).
type MessageCommandOptions struct {
	Actor
	Name string
	// TargetID is the message the menu was opened on; the interaction's
	// channel is that message's channel.
	TargetID string
}

// RunMessageCommand invokes a registered message command on a message. The
// target arrives in data.resolved.messages with its full content and
// attachments, whatever the bot's intents.
func (s *Server) RunMessageCommand(o MessageCommandOptions) (*Interaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	target, ok := s.messages[o.TargetID]
	if !ok || target.deleted || target.visibleTo != "" {
		return nil, fmt.Errorf("discordtest: unknown target message %s", o.TargetID)
	}
	o.Actor.ChannelID = target.msg.ChannelID
	o.Actor.GuildID = ""
	o.Actor.DM = false
	user, ch, err := s.actorLocked(o.Actor)
	if err != nil {
		return nil, err
	}
	cmd, err := s.findCommandLocked(o.Name, cmdMessage, ch, user.ID)
	if err != nil {
		return nil, err
	}
	data := map[string]any{"id": cmd.ID, "name": cmd.Name, "type": cmdMessage, "target_id": target.msg.ID,
		"resolved": map[string]any{"messages": map[string]any{target.msg.ID: target.msg}}}
	if cmd.GuildID != "" {
		data["guild_id"] = cmd.GuildID
	}
	it := s.newInteractionLocked(interactionCommand, ch, user, o.Locale, data, nil)
	it.name, it.commandType = cmd.Name, cmdMessage
	return s.interactionHandleLocked(it)
}

// ButtonOptions describe a component press.
type ButtonOptions struct {
	Actor
	MessageID string
	CustomID  string
	// Values are the selected values for a select menu.
	Values []string
}

// PressButton presses a button (or picks select-menu values) on a message
// the bot sent. The channel comes from the message; disabled or missing
// components and other users' ephemeral messages are refused.
func (s *Server) PressButton(o ButtonOptions) (*Interaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sm, ok := s.messages[o.MessageID]
	if !ok || sm.deleted {
		return nil, fmt.Errorf("discordtest: unknown message %s", o.MessageID)
	}
	o.Actor.ChannelID = sm.msg.ChannelID
	o.Actor.GuildID = ""
	o.Actor.DM = false
	if o.Actor.User != nil {
		if err := checkSnowflake("user id", o.Actor.User.ID); err != nil {
			return nil, err
		}
	}
	user := s.ensureUserLocked(o.Actor.User)
	if sm.visibleTo != "" && sm.visibleTo != user.ID {
		return nil, fmt.Errorf("discordtest: message %s is ephemeral for another user", o.MessageID)
	}
	if sm.msg.Author.ID != s.opts.AppID {
		return nil, fmt.Errorf("discordtest: message %s was not sent by the bot", o.MessageID)
	}
	c := findComponent(sm.msg.Components, o.CustomID)
	if c == nil {
		return nil, fmt.Errorf("discordtest: message %s has no component %q", o.MessageID, o.CustomID)
	}
	if c.Disabled {
		return nil, fmt.Errorf("discordtest: component %q is disabled", o.CustomID)
	}
	if c.Type == compButton && c.Style == 5 {
		return nil, fmt.Errorf("discordtest: %q is a link button (no interaction)", o.CustomID)
	}
	ch := s.channels[sm.msg.ChannelID]
	if ch.GuildID != "" {
		if s.guilds[ch.GuildID].removed {
			return nil, fmt.Errorf("discordtest: the bot is not in guild %s (RemoveBotFromGuild)", ch.GuildID)
		}
		s.ensureMemberLocked(s.guilds[ch.GuildID], user.ID, o.Permissions)
	}
	data := map[string]any{"custom_id": o.CustomID, "component_type": c.Type}
	if isSelect(c.Type) {
		vals := o.Values
		if vals == nil {
			vals = []string{}
		}
		data["values"] = vals
	}
	msg := sm.msg.clone()
	it := s.newInteractionLocked(interactionComponent, ch, user, o.Locale, data, &msg)
	it.componentMsgID = sm.msg.ID
	it.baseVersions = len(sm.versions)
	it.name = o.CustomID
	return s.interactionHandleLocked(it)
}

// ID is the interaction id.
func (i *Interaction) ID() string { return i.id }

// Token is the interaction token.
func (i *Interaction) Token() string { return i.Payload.Token }

func (i *Interaction) state() *interactionState { return i.s.interactions[i.id] }

// Response is the first (initial) response to an interaction.
type Response struct {
	Type int // callback type: 4, 5, 6, 7, 9...
	// Elapsed is the time from the interaction's creation to the response,
	// on the server clock.
	Elapsed time.Duration
	// Message is the response message: the reply (4), the loading message
	// (5), or the component's message (6, 7); nil for a modal.
	Message *Message
	// Modal is the modal's JSON for type 9.
	Modal json.RawMessage
}

func (i *Interaction) responseLocked() *Response {
	it := i.state()
	r := &Response{Type: it.respType, Elapsed: it.respElapsed, Modal: it.modal}
	if sm, ok := i.s.messages[it.originalID]; ok {
		r.Message = i.s.snapshotLocked(sm)
	}
	return r
}

// WaitResponse waits for the initial response. It fails early if the
// response deadline passed on the server clock without one.
func (i *Interaction) WaitResponse(ctx context.Context) (*Response, error) {
	var r *Response
	var dead bool
	err := i.s.waitFor(ctx, func() bool {
		it := i.state()
		if it.responded {
			r = i.responseLocked()
			return true
		}
		if i.s.clock.Now().Sub(it.created) > i.s.opts.ResponseDeadline {
			dead = true
			return true
		}
		return false
	})
	if err != nil {
		return nil, fmt.Errorf("discordtest: waiting for the response to interaction %s: %w", i.id, err)
	}
	if dead {
		return nil, fmt.Errorf("discordtest: interaction %s was not answered within %v (\"This interaction failed\")", i.id, i.s.opts.ResponseDeadline)
	}
	return r, nil
}

// Response returns the initial response, or nil if none yet.
func (i *Interaction) Response() *Response {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	if !i.state().responded {
		return nil
	}
	return i.responseLocked()
}

// WaitFinal waits until the visible result is complete and returns it: the
// reply for type 4 and 7, the edited original for type 5 (deferred), and the
// component's message once edited for type 6.
func (i *Interaction) WaitFinal(ctx context.Context) (*Message, error) {
	var out *Message
	err := i.s.waitFor(ctx, func() bool {
		it := i.state()
		if !it.responded {
			return false
		}
		sm, ok := i.s.messages[it.originalID]
		if !ok {
			return false
		}
		switch it.respType {
		case respDeferredChannelMsg:
			if sm.msg.Flags&msgFlagLoading != 0 && !sm.deleted {
				return false
			}
		case respDeferredUpdateMessage:
			if len(sm.versions) <= it.baseVersions && !sm.deleted {
				return false
			}
		}
		out = i.s.snapshotLocked(sm)
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("discordtest: waiting for the final response to interaction %s: %w", i.id, err)
	}
	return out, nil
}

// Original returns the @original message, or nil.
func (i *Interaction) Original() *Message {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	sm, ok := i.s.messages[i.state().originalID]
	if !ok {
		return nil
	}
	return i.s.snapshotLocked(sm)
}

// Followups returns the follow-up messages, oldest first.
func (i *Interaction) Followups() []*Message {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	var out []*Message
	for _, id := range i.state().followups {
		out = append(out, i.s.snapshotLocked(i.s.messages[id]))
	}
	return out
}

// WaitFollowups waits for at least n follow-ups.
func (i *Interaction) WaitFollowups(ctx context.Context, n int) ([]*Message, error) {
	if err := i.s.waitFor(ctx, func() bool { return len(i.state().followups) >= n }); err != nil {
		return nil, err
	}
	return i.Followups(), nil
}

// Ephemeral reports whether the initial response is visible only to the invoker.
func (i *Interaction) Ephemeral() bool {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	return i.state().ephemeral
}

// Acknowledged reports whether an initial response was accepted.
func (i *Interaction) Acknowledged() bool {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	return i.state().responded
}

// Failed reports whether the response deadline passed (server clock)
// without an initial response: the user sees "This interaction failed".
func (i *Interaction) Failed() bool {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	it := i.state()
	return !it.responded && i.s.clock.Now().Sub(it.created) > i.s.opts.ResponseDeadline
}

// Attempts returns every call the bot made about this interaction and its
// outcome (including refused ones), in order.
func (i *Interaction) Attempts() []ResponseAttempt {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	return append([]ResponseAttempt(nil), i.state().attempts...)
}

// WaitAttempts waits until the bot made at least n calls about the interaction.
func (i *Interaction) WaitAttempts(ctx context.Context, n int) ([]ResponseAttempt, error) {
	if err := i.s.waitFor(ctx, func() bool { return len(i.state().attempts) >= n }); err != nil {
		return nil, err
	}
	return i.Attempts(), nil
}

// Guild describes a guild for display.
type Guild struct {
	ID       string
	Name     string
	OwnerID  string
	Channels []Channel
}

// Channel describes a guild text channel or a DM channel.
type Channel struct {
	ID          string
	GuildID     string // "" for a DM
	Name        string
	RecipientID string // the user of a DM channel
}

func channelInfo(c *channelState) Channel {
	return Channel{ID: c.ID, GuildID: c.GuildID, Name: c.Name, RecipientID: c.Recipient}
}

// Guilds lists the guilds and their channels, in creation order.
func (s *Server) Guilds() []Guild {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Guild, 0, len(s.guildOrder))
	for _, id := range s.guildOrder {
		g := s.guilds[id]
		gi := Guild{ID: g.ID, Name: g.Name, OwnerID: g.OwnerID}
		for _, cid := range g.Channels {
			gi.Channels = append(gi.Channels, channelInfo(s.channels[cid]))
		}
		out = append(out, gi)
	}
	return out
}

// DMChannels lists the DM channels opened so far.
func (s *Server) DMChannels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Channel
	for _, c := range s.channels {
		if c.Type == 1 {
			out = append(out, channelInfo(c))
		}
	}
	sort.Slice(out, func(i, j int) bool { return snowflakeLess(out[i].ID, out[j].ID) })
	return out
}

// User returns a known user (scripted users, guild owners, the bot).
func (s *Server) User(id string) (*discordgo.User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return nil, false
	}
	du := &discordgo.User{ID: u.ID, Username: u.Username, Discriminator: u.Discriminator, Bot: u.Bot}
	if u.GlobalName != nil {
		du.GlobalName = *u.GlobalName
	}
	return du, true
}

// File returns a stored attachment's bytes by attachment id.
func (s *Server) File(attachmentID string) (File, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[attachmentID]
	if !ok {
		return File{}, false
	}
	return File{Name: f.Name, ContentType: f.ContentType, Data: append([]byte(nil), f.Data...)}, true
}

// ModalSubmitOptions describe a user submitting a modal the bot opened with
// a type 9 response.
type ModalSubmitOptions struct {
	// Opened is the interaction answered with the modal.
	Opened *Interaction
	// Values maps the modal's text-input custom ids to what the user typed;
	// an input not in Values keeps its prefilled value. What the Discord
	// client would not let through (an empty required input, a length
	// outside min_length..max_length, a line break in a short input) is
	// refused.
	Values map[string]string
	Locale string
}

// SubmitModal submits a modal: a MODAL_SUBMIT interaction (type 5) with the
// text inputs' values, from the user the modal was shown to. Unknown
// inputs, values the client would refuse, and a second submission of the
// same modal (Discord closes it) are errors.
func (s *Server) SubmitModal(o ModalSubmitOptions) (*Interaction, error) {
	if o.Opened == nil {
		return nil, errors.New("discordtest: SubmitModal needs the interaction that opened the modal")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	opened := o.Opened.state()
	if !opened.responded || opened.respType != respModal {
		return nil, fmt.Errorf("discordtest: interaction %s was not answered with a modal", opened.id)
	}
	if opened.modalSubmitted {
		return nil, fmt.Errorf("discordtest: the modal of interaction %s was already submitted (Discord closes it)", opened.id)
	}
	var modal struct {
		CustomID   string     `json:"custom_id"`
		Components []modalRow `json:"components"`
	}
	if err := json.Unmarshal(opened.modal, &modal); err != nil {
		return nil, fmt.Errorf("discordtest: stored modal: %w", err)
	}
	var rows []any
	seen := map[string]bool{}
	for _, row := range modal.Components {
		var inputs []any
		for _, c := range row.Components {
			if c.CustomID == nil {
				continue
			}
			id := *c.CustomID
			seen[id] = true
			// An input the user left alone keeps its prefilled value.
			v, given := o.Values[id]
			if !given && c.Value != nil {
				v = *c.Value
			}
			if err := checkTyped(c, v); err != nil {
				return nil, err
			}
			inputs = append(inputs, map[string]any{"type": compTextInput, "custom_id": id, "value": v})
		}
		rows = append(rows, map[string]any{"type": compActionRow, "components": inputs})
	}
	for id := range o.Values {
		if !seen[id] {
			return nil, fmt.Errorf("discordtest: the modal has no input %q", id)
		}
	}
	user := s.userLocked(opened.userID)
	ch := s.channels[opened.channelID]
	data := map[string]any{"custom_id": modal.CustomID, "components": rows}
	var msg *wireMessage
	if sm, ok := s.messages[opened.componentMsgID]; ok && opened.componentMsgID != "" {
		m := sm.msg.clone()
		msg = &m
	}
	if o.Locale == "" {
		o.Locale = "en-US"
	}
	it := s.newInteractionLocked(interactionModalSubmit, ch, user, o.Locale, data, msg)
	it.componentMsgID = opened.componentMsgID
	if sm, ok := s.messages[opened.componentMsgID]; ok {
		it.baseVersions = len(sm.versions)
	}
	it.name = modal.CustomID
	opened.modalSubmitted = true
	return s.interactionHandleLocked(it)
}

// EditMessage edits a user's message as that user would (MESSAGE_UPDATE,
// with the Message Content rule applied).
func (s *Server) EditMessage(id, content string) (*Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sm, ok := s.messages[id]
	if !ok || sm.deleted {
		return nil, fmt.Errorf("discordtest: unknown message %s", id)
	}
	if sm.msg.Author.ID == s.opts.AppID {
		return nil, errors.New("discordtest: the bot edits its messages through the API")
	}
	in := &msgInput{present: map[string]bool{"content": true}, content: content}
	if aerr := s.applyEditLocked(sm, in, ""); aerr != nil {
		return nil, aerr
	}
	return s.snapshotLocked(sm), nil
}

// DeleteMessage deletes any message as its author or a moderator would
// (MESSAGE_DELETE).
func (s *Server) DeleteMessage(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sm, ok := s.messages[id]
	if !ok || sm.deleted {
		return fmt.Errorf("discordtest: unknown message %s", id)
	}
	s.deleteMessageLocked(sm)
	return nil
}
