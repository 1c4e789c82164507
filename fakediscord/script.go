package fakediscord

import (
	"context"
	"encoding/json"

	"github.com/bwmarrin/discordgo"
)

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

// Requests returns the REST calls answered so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Guild describes a guild for display.
type Guild struct {
	ID       string
	Name     string
	OwnerID  string
	Channels []Channel
}

// Channel describes a guild text channel.
type Channel struct {
	ID      string
	GuildID string
	Name    string
}

func channelInfo(c *channelState) Channel {
	return Channel{ID: c.ID, GuildID: c.GuildID, Name: c.Name}
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
