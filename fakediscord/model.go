package fakediscord

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/bwmarrin/discordgo"
)

// The wire* types are the JSON Discord sends. They are the server's own so
// that what goes on the wire does not depend on how discordgo happens to
// marshal its structs (discordgo's Message, for instance, does not marshal
// its components).

type wireUser struct {
	ID            string  `json:"id"`
	Username      string  `json:"username"`
	Discriminator string  `json:"discriminator"`
	GlobalName    *string `json:"global_name"`
	Avatar        *string `json:"avatar"`
	Bot           bool    `json:"bot,omitempty"`
	PublicFlags   int     `json:"public_flags"`
}

type wireMember struct {
	User         *wireUser `json:"user,omitempty"`
	Nick         *string   `json:"nick"`
	Avatar       *string   `json:"avatar"`
	Roles        []string  `json:"roles"`
	JoinedAt     string    `json:"joined_at"`
	PremiumSince *string   `json:"premium_since"`
	Deaf         bool      `json:"deaf"`
	Mute         bool      `json:"mute"`
	Flags        int       `json:"flags"`
	Pending      bool      `json:"pending"`
	Permissions  string    `json:"permissions,omitempty"`
}

type wireRole struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	Color       int           `json:"color"`
	Hoist       bool          `json:"hoist"`
	Position    int           `json:"position"`
	Permissions string        `json:"permissions"`
	Managed     bool          `json:"managed"`
	Mentionable bool          `json:"mentionable"`
	Flags       int           `json:"flags"`
	Tags        *wireRoleTags `json:"tags,omitempty"`
}

type wireRoleTags struct {
	BotID string `json:"bot_id,omitempty"`
}

type wireChannel struct {
	ID                   string     `json:"id"`
	Type                 int        `json:"type"`
	GuildID              string     `json:"guild_id,omitempty"`
	Name                 string     `json:"name,omitempty"`
	Position             int        `json:"position"`
	PermissionOverwrites []struct{} `json:"permission_overwrites,omitempty"`
	Recipients           []wireUser `json:"recipients,omitempty"`
	ParentID             string     `json:"parent_id,omitempty"`
	LastMessageID        *string    `json:"last_message_id"`
	NSFW                 bool       `json:"nsfw"`
	Flags                int        `json:"flags"`
}

type wireAttachment struct {
	ID          string `json:"id"`
	Filename    string `json:"filename"`
	Description string `json:"description,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Size        int    `json:"size"`
	URL         string `json:"url"`
	ProxyURL    string `json:"proxy_url"`
	Width       *int   `json:"width,omitempty"`
	Height      *int   `json:"height,omitempty"`
	Ephemeral   bool   `json:"ephemeral,omitempty"`
	Flags       int    `json:"flags,omitempty"`
}

type wireMessageReference struct {
	Type            int    `json:"type"`
	MessageID       string `json:"message_id,omitempty"`
	ChannelID       string `json:"channel_id,omitempty"`
	GuildID         string `json:"guild_id,omitempty"`
	FailIfNotExists *bool  `json:"fail_if_not_exists,omitempty"`
}

type wireMessageInteraction struct {
	ID   string   `json:"id"`
	Type int      `json:"type"`
	Name string   `json:"name"`
	User wireUser `json:"user"`
}

type wireInteractionMetadata struct {
	ID                           string            `json:"id"`
	Type                         int               `json:"type"`
	User                         wireUser          `json:"user"`
	AuthorizingIntegrationOwners map[string]string `json:"authorizing_integration_owners"`
	OriginalResponseMessageID    string            `json:"original_response_message_id,omitempty"`
	InteractedMessageID          string            `json:"interacted_message_id,omitempty"`
	TargetMessageID              string            `json:"target_message_id,omitempty"`
}

type wireMessage struct {
	ID                  string                    `json:"id"`
	Type                int                       `json:"type"`
	ChannelID           string                    `json:"channel_id"`
	GuildID             string                    `json:"guild_id,omitempty"`
	Author              wireUser                  `json:"author"`
	Member              *wireMember               `json:"member,omitempty"`
	Content             string                    `json:"content"`
	Timestamp           string                    `json:"timestamp"`
	EditedTimestamp     *string                   `json:"edited_timestamp"`
	TTS                 bool                      `json:"tts"`
	MentionEveryone     bool                      `json:"mention_everyone"`
	Mentions            []wireUser                `json:"mentions"`
	MentionRoles        []string                  `json:"mention_roles"`
	Attachments         []wireAttachment          `json:"attachments"`
	Embeds              []*discordgo.MessageEmbed `json:"embeds"`
	Components          json.RawMessage           `json:"components"`
	Pinned              bool                      `json:"pinned"`
	WebhookID           string                    `json:"webhook_id,omitempty"`
	ApplicationID       string                    `json:"application_id,omitempty"`
	Flags               int                       `json:"flags"`
	MessageReference    *wireMessageReference     `json:"message_reference,omitempty"`
	ReferencedMessage   *wireMessage              `json:"referenced_message,omitempty"`
	Interaction         *wireMessageInteraction   `json:"interaction,omitempty"`
	InteractionMetadata *wireInteractionMetadata  `json:"interaction_metadata,omitempty"`
	Nonce               json.RawMessage           `json:"nonce,omitempty"`
	MessageSnapshots    []wireMessageSnapshot     `json:"message_snapshots,omitempty"`
}

// clone returns a deep enough copy for snapshots: slices are copied, embeds
// are re-decoded so later edits cannot reach a snapshot.
func (m wireMessage) clone() wireMessage {
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("fakediscord: marshal message: %v", err))
	}
	var c wireMessage
	if err := json.Unmarshal(b, &c); err != nil {
		panic(fmt.Sprintf("fakediscord: unmarshal message: %v", err))
	}
	return c
}

// stripContent applies the Message Content intent rule: content,
// attachments, embeds, components (and poll) are emptied.
func (m wireMessage) stripContent() wireMessage {
	c := m.clone()
	c.Content = ""
	c.Attachments = []wireAttachment{}
	c.Embeds = []*discordgo.MessageEmbed{}
	c.Components = json.RawMessage("[]")
	// A forwarded message's snapshot is its content too.
	for i := range c.MessageSnapshots {
		sn := &c.MessageSnapshots[i].Message
		sn.Content, sn.Attachments, sn.Embeds, sn.Components = "", []wireAttachment{}, []any{}, []any{}
	}
	return c
}

const (
	msgFlagEphemeral = 1 << 6
	msgFlagLoading   = 1 << 7
)

type storedMessage struct {
	msg           wireMessage
	versions      []wireMessage // earlier versions, oldest first
	deleted       bool
	visibleTo     string   // ephemeral: only this user sees it
	fileIDs       []string // every attachment uploaded with it, incl. embed-referenced
	interactionID string
	snap          *Message // cached snapshot; nil after any change
}

type storedFile struct {
	ID          string
	Path        string // /attachments/{channel}/{id}/{name} or /ephemeral-attachments/...
	Name        string
	Description string // alt text given in the "attachments" array
	ContentType string
	Data        []byte
	Width       *int
	Height      *int
	Created     time.Time
	Expires     time.Time
}

type guildState struct {
	ID string
	// BotRoleID is the bot's managed role.
	BotRoleID string
	Name      string
	OwnerID   string
	Channels  []string
	Members   map[string]*memberState
	Joined    time.Time
	// removed: the bot is no longer in the guild; outage: Discord reports
	// the guild unavailable.
	removed bool
	outage  bool
}

type memberState struct {
	UserID      string
	Roles       []string
	JoinedAt    time.Time
	Permissions int64
}

type channelState struct {
	ID        string
	GuildID   string
	ParentID  string // a thread's channel
	Name      string
	Type      int // 0 guild text, 1 DM, 11 public thread
	Recipient string
	Position  int
}

type wireCommandOption struct {
	Type                     int                  `json:"type"`
	Name                     string               `json:"name"`
	NameLocalizations        map[string]string    `json:"name_localizations,omitempty"`
	Description              string               `json:"description"`
	DescriptionLocalizations map[string]string    `json:"description_localizations,omitempty"`
	Required                 bool                 `json:"required,omitempty"`
	Choices                  []wireChoice         `json:"choices,omitempty"`
	Options                  []*wireCommandOption `json:"options,omitempty"`
	ChannelTypes             []int                `json:"channel_types,omitempty"`
	MinValue                 *float64             `json:"min_value,omitempty"`
	MaxValue                 *float64             `json:"max_value,omitempty"`
	MinLength                *int                 `json:"min_length,omitempty"`
	MaxLength                *int                 `json:"max_length,omitempty"`
	Autocomplete             bool                 `json:"autocomplete,omitempty"`
}

type wireChoice struct {
	Name              string            `json:"name"`
	NameLocalizations map[string]string `json:"name_localizations,omitempty"`
	Value             any               `json:"value"`
}

type wireCommand struct {
	ID                       string               `json:"id"`
	Type                     int                  `json:"type"`
	ApplicationID            string               `json:"application_id"`
	GuildID                  string               `json:"guild_id,omitempty"`
	Name                     string               `json:"name"`
	NameLocalizations        map[string]string    `json:"name_localizations,omitempty"`
	Description              string               `json:"description"`
	DescriptionLocalizations map[string]string    `json:"description_localizations,omitempty"`
	Options                  []*wireCommandOption `json:"options,omitempty"`
	DefaultMemberPermissions *string              `json:"default_member_permissions"`
	DMPermission             *bool                `json:"dm_permission,omitempty"`
	NSFW                     bool                 `json:"nsfw"`
	Contexts                 []int                `json:"contexts"`
	IntegrationTypes         []int                `json:"integration_types"`
	Version                  string               `json:"version"`
}

func (s *Server) createGuilds() error {
	now := s.clock.Now()
	if err := checkSnowflake("application id", s.opts.AppID); err != nil {
		return err
	}
	for i, g := range s.opts.Guilds {
		if g.ID == "" {
			g.ID = s.newIDLocked()
		}
		if err := checkSnowflake("guild id", g.ID); err != nil {
			return err
		}
		if g.Name == "" {
			g.Name = fmt.Sprintf("Guild %d", i+1)
		}
		if g.OwnerID == "" {
			g.OwnerID = DefaultOwnerID
		}
		if err := checkSnowflake("owner id", g.OwnerID); err != nil {
			return err
		}
		if _, dup := s.guilds[g.ID]; dup {
			return fmt.Errorf("fakediscord: duplicate guild id %s", g.ID)
		}
		gs := &guildState{ID: g.ID, Name: g.Name, OwnerID: g.OwnerID, Members: map[string]*memberState{}, Joined: now}
		if len(g.Channels) == 0 {
			g.Channels = []ChannelOptions{{Name: "general"}}
		}
		for j, c := range g.Channels {
			if c.ID == "" {
				c.ID = s.newIDLocked()
			}
			if err := checkSnowflake("channel id", c.ID); err != nil {
				return err
			}
			if c.Name == "" {
				c.Name = fmt.Sprintf("channel-%d", j+1)
			}
			if _, dup := s.channels[c.ID]; dup {
				return fmt.Errorf("fakediscord: duplicate channel id %s", c.ID)
			}
			cs := &channelState{ID: c.ID, GuildID: g.ID, Name: c.Name, Type: 0, Position: j}
			if c.ThreadOf != "" {
				if p, ok := s.channels[c.ThreadOf]; !ok || p.GuildID != g.ID || p.Type != 0 {
					return fmt.Errorf("fakediscord: thread %s: ThreadOf %s is not an earlier text channel of its guild", c.ID, c.ThreadOf)
				}
				cs.Type, cs.ParentID = channelPublicThread, c.ThreadOf
			}
			s.channels[c.ID] = cs
			gs.Channels = append(gs.Channels, c.ID)
		}
		if _, ok := s.users[g.OwnerID]; !ok {
			s.users[g.OwnerID] = &wireUser{ID: g.OwnerID, Username: "owner", Discriminator: "0"}
		}
		gs.Members[g.OwnerID] = &memberState{UserID: g.OwnerID, JoinedAt: now, Permissions: allPermissions}
		// A bot invited with permissions gets a managed role named after it,
		// tagged with its id (https://discord.com/developers/docs/topics/permissions#role-object-role-tags-structure);
		// the member list's "@" picker offers it, so users mention it.
		gs.BotRoleID = s.newIDLocked()
		gs.Members[s.opts.AppID] = &memberState{UserID: s.opts.AppID, Roles: []string{gs.BotRoleID}, JoinedAt: now, Permissions: s.opts.BotPermissions}
		s.guilds[g.ID] = gs
		s.guildOrder = append(s.guildOrder, g.ID)
	}
	return nil
}

const allPermissions int64 = (1 << 50) - 1

const channelPublicThread = 11

func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000+00:00") }

func (s *Server) botUserLocked() wireUser { return *s.users[s.opts.AppID] }

func (s *Server) userLocked(id string) wireUser {
	if u, ok := s.users[id]; ok {
		return *u
	}
	return wireUser{ID: id, Username: "user" + id, Discriminator: "0"}
}

// memberLocked returns the wire member (without user) of a guild member.
func (s *Server) memberLocked(g *guildState, userID string, withUser bool, withPerms bool) *wireMember {
	ms, ok := g.Members[userID]
	if !ok {
		return nil
	}
	roles := ms.Roles
	if roles == nil {
		roles = []string{}
	}
	wm := &wireMember{Roles: roles, JoinedAt: timestamp(ms.JoinedAt)}
	if withUser {
		u := s.userLocked(userID)
		wm.User = &u
	}
	if withPerms {
		wm.Permissions = fmt.Sprint(s.permissionsLocked(g, userID))
	}
	return wm
}

func (s *Server) permissionsLocked(g *guildState, userID string) int64 {
	if g.OwnerID == userID {
		return allPermissions
	}
	ms, ok := g.Members[userID]
	if !ok {
		return 0
	}
	if ms.Permissions&permAdministrator != 0 {
		return allPermissions
	}
	return ms.Permissions
}

func (s *Server) channelJSONLocked(c *channelState) wireChannel {
	wc := wireChannel{ID: c.ID, Type: c.Type, GuildID: c.GuildID, ParentID: c.ParentID, Name: c.Name, Position: c.Position}
	if c.Type == 0 {
		wc.PermissionOverwrites = []struct{}{}
	}
	if c.Type == 1 {
		wc.Recipients = []wireUser{s.userLocked(c.Recipient)}
	}
	if ids := s.channelMsgs[c.ID]; len(ids) > 0 {
		last := ids[len(ids)-1]
		wc.LastMessageID = &last
	}
	return wc
}

// botRoleLocked is the bot's managed role in a guild.
func (s *Server) botRoleLocked(g *guildState) wireRole {
	return wireRole{ID: g.BotRoleID, Name: s.botUserLocked().Username, Position: 1, Permissions: fmt.Sprint(s.opts.BotPermissions),
		Managed: true, Mentionable: true, Tags: &wireRoleTags{BotID: s.opts.AppID}}
}

// guildCreateLocked is the GUILD_CREATE payload for a guild.
func (s *Server) guildCreateLocked(g *guildState) map[string]any {
	channels := make([]wireChannel, 0, len(g.Channels))
	threads := []wireChannel{}
	for _, id := range g.Channels {
		wc := s.channelJSONLocked(s.channels[id])
		if wc.Type == channelPublicThread {
			threads = append(threads, wc) // threads keep guild_id
			continue
		}
		wc.GuildID = "" // omitted inside GUILD_CREATE, like Discord
		channels = append(channels, wc)
	}
	everyone := wireRole{ID: g.ID, Name: "@everyone", Permissions: fmt.Sprint(defaultMemberPermisson)}
	members := []*wireMember{s.memberLocked(g, s.opts.AppID, true, false)}
	return map[string]any{
		"id": g.ID, "name": g.Name, "icon": nil, "splash": nil, "discovery_splash": nil,
		"owner_id": g.OwnerID, "afk_channel_id": nil, "afk_timeout": 300,
		"verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
		"roles": []wireRole{everyone, s.botRoleLocked(g)}, "emojis": []any{}, "stickers": []any{}, "features": []string{},
		"mfa_level": 0, "application_id": nil, "system_channel_id": nil, "system_channel_flags": 0,
		"rules_channel_id": nil, "vanity_url_code": nil, "description": nil, "banner": nil,
		"premium_tier": 0, "preferred_locale": "en-US", "public_updates_channel_id": nil,
		"nsfw_level": 0, "premium_progress_bar_enabled": false,
		"joined_at": timestamp(g.Joined), "large": false, "unavailable": false,
		"member_count": len(g.Members), "voice_states": []any{}, "members": members,
		"channels": channels, "threads": threads, "presences": []any{},
		"stage_instances": []any{}, "guild_scheduled_events": []any{},
		"lazy": true,
	}
}
