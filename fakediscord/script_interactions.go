package fakediscord

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

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
			return user, nil, fmt.Errorf("fakediscord: the bot is not in guild %s (RemoveBotFromGuild)", ch.GuildID)
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
				return nil, fmt.Errorf("fakediscord: command %q is not available in this context (contexts %v)", name, c.Contexts)
			}
			if c.DefaultMemberPermissions != nil && ch.GuildID != "" {
				var need int64
				fmt.Sscan(*c.DefaultMemberPermissions, &need)
				have := s.permissionsLocked(s.guilds[ch.GuildID], userID)
				if have&need != need {
					return nil, fmt.Errorf("fakediscord: user %s lacks default_member_permissions %d for %q: Discord does not offer the command", userID, need, name)
				}
			}
			return c, nil
		}
	}
	return nil, fmt.Errorf("fakediscord: no registered command %q of type %d for this channel (the bot must register it first)", name, typ)
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
		return nil, fmt.Errorf("fakediscord: discordgo cannot decode the interaction: %w", err)
	}
	return &Interaction{s: s, id: it.id, Payload: &di}, nil
}

// RunSlashCommand invokes a registered chat-input command as a user. The
// options are checked against the registered definition as Discord's
// client checks them (unknown option, missing required option, wrong type,
// not a choice, outside min_value..max_value or min_length..max_length →
// error).
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
			return nil, fmt.Errorf("fakediscord: command %q has no subcommand %q", o.Name, o.Subcommand)
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
				return nil, fmt.Errorf("fakediscord: required option %q of /%s missing", d.Name, o.Name)
			}
			continue
		}
		val, err := s.optionValueLocked(d, v, ch, addResolved)
		if err != nil {
			return nil, fmt.Errorf("fakediscord: option %q of /%s: %w", d.Name, o.Name, err)
		}
		opts = append(opts, map[string]any{"name": d.Name, "type": d.Type, "value": val})
	}
	for name := range o.Options {
		if !known[name] {
			return nil, fmt.Errorf("fakediscord: /%s has no option %q", o.Name, name)
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
			return nil, fmt.Errorf("%q is not one of %s", str, choiceList(d.Choices))
		}
		// The client counts characters, not bytes.
		n := utf8.RuneCountInString(str)
		if d.MinLength != nil && n < *d.MinLength {
			return nil, fmt.Errorf("%q is shorter than the minimum of %d characters", str, *d.MinLength)
		}
		if d.MaxLength != nil && n > *d.MaxLength {
			return nil, fmt.Errorf("%q is longer than the maximum of %d characters", str, *d.MaxLength)
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
			return nil, fmt.Errorf("%d is not one of %s", n, choiceList(d.Choices))
		}
		if err := checkBounds(d, float64(n)); err != nil {
			return nil, err
		}
		return n, nil
	case optNumber:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case int:
			f = float64(x)
		default:
			return nil, fmt.Errorf("want a number, got %T", v)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%v is not a number Discord accepts", f)
		}
		if len(d.Choices) > 0 && !hasChoice(d.Choices, f) {
			return nil, fmt.Errorf("%v is not one of %s", f, choiceList(d.Choices))
		}
		if err := checkBounds(d, f); err != nil {
			return nil, err
		}
		return f, nil
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
			return nil, fmt.Errorf("want a fakediscord.File, got %T", v)
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

// checkBounds refuses a number outside the option's min_value..max_value,
// which Discord's client does not let a user submit.
func checkBounds(d *wireCommandOption, f float64) error {
	if d.MinValue != nil && f < *d.MinValue {
		return fmt.Errorf("%v is below the minimum %v", f, *d.MinValue)
	}
	if d.MaxValue != nil && f > *d.MaxValue {
		return fmt.Errorf("%v is above the maximum %v", f, *d.MaxValue)
	}
	return nil
}

// choiceList names the choices' values for an error message.
func choiceList(choices []wireChoice) string {
	vals := make([]string, len(choices))
	for i, c := range choices {
		vals[i] = fmt.Sprint(c.Value)
	}
	return strings.Join(vals, ", ")
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
			if f, ok := v.(float64); ok && f == want {
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
		return nil, fmt.Errorf("fakediscord: unknown target message %s", o.TargetID)
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
		return nil, fmt.Errorf("fakediscord: unknown message %s", o.MessageID)
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
		return nil, fmt.Errorf("fakediscord: message %s is ephemeral for another user", o.MessageID)
	}
	if sm.msg.Author.ID != s.opts.AppID {
		return nil, fmt.Errorf("fakediscord: message %s was not sent by the bot", o.MessageID)
	}
	c := findComponent(sm.msg.Components, o.CustomID)
	if c == nil {
		return nil, fmt.Errorf("fakediscord: message %s has no component %q", o.MessageID, o.CustomID)
	}
	if c.Disabled {
		return nil, fmt.Errorf("fakediscord: component %q is disabled", o.CustomID)
	}
	if c.Type == compButton && c.Style == 5 {
		return nil, fmt.Errorf("fakediscord: %q is a link button (no interaction)", o.CustomID)
	}
	ch := s.channels[sm.msg.ChannelID]
	if ch.GuildID != "" {
		if s.guilds[ch.GuildID].removed {
			return nil, fmt.Errorf("fakediscord: the bot is not in guild %s (RemoveBotFromGuild)", ch.GuildID)
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
		return nil, errors.New("fakediscord: SubmitModal needs the interaction that opened the modal")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	opened := o.Opened.state()
	if !opened.responded || opened.respType != respModal {
		return nil, fmt.Errorf("fakediscord: interaction %s was not answered with a modal", opened.id)
	}
	if opened.modalSubmitted {
		return nil, fmt.Errorf("fakediscord: the modal of interaction %s was already submitted (Discord closes it)", opened.id)
	}
	var modal struct {
		CustomID   string     `json:"custom_id"`
		Components []modalRow `json:"components"`
	}
	if err := json.Unmarshal(opened.modal, &modal); err != nil {
		return nil, fmt.Errorf("fakediscord: stored modal: %w", err)
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
			return nil, fmt.Errorf("fakediscord: the modal has no input %q", id)
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
