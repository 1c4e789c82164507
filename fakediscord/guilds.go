package fakediscord

import (
	"fmt"
)

func (s *Server) guildLocked(id string) (*guildState, error) {
	g, ok := s.guilds[id]
	if !ok {
		return nil, fmt.Errorf("fakediscord: unknown guild %s", id)
	}
	return g, nil
}

// guildDeleteLocked sends GUILD_DELETE to every live session on the guild's
// shard. It bypasses dispatchLocked's "no events from a missing guild" rule
// because this is the event that announces it.
func (s *Server) guildDeleteLocked(g *guildState, unavailable bool) {
	d := map[string]any{"id": g.ID}
	if unavailable {
		d["unavailable"] = true
	}
	for _, sess := range s.sortedSessionsLocked() {
		if !sess.dead && sess.onShard(g.ID) {
			s.sendDispatchLocked(sess, "GUILD_DELETE", d)
		}
	}
	s.notifyLocked()
}

// RemoveBotFromGuild simulates the bot being kicked or the app removed:
// GUILD_DELETE without "unavailable" is dispatched, then the guild sends no
// events, its channels and commands answer 403 Missing Access, and scripted
// interactions there fail. Messages already stored stay readable by tests.
func (s *Server) RemoveBotFromGuild(guildID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.guildLocked(guildID)
	if err != nil {
		return err
	}
	if g.removed {
		return fmt.Errorf("fakediscord: the bot already left guild %s", guildID)
	}
	g.removed = true
	delete(g.Members, s.opts.AppID)
	s.guildDeleteLocked(g, false)
	return nil
}

// GuildOutage makes a guild unavailable (a Discord outage):
// GUILD_DELETE with "unavailable": true is dispatched and the guild sends no
// events again (an outage lasts for the rest of the test). The bot is still
// a member.
func (s *Server) GuildOutage(guildID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.guildLocked(guildID)
	if err != nil {
		return err
	}
	if g.outage {
		return fmt.Errorf("fakediscord: guild %s is already unavailable", guildID)
	}
	g.outage = true
	if !g.removed {
		s.guildDeleteLocked(g, true)
	}
	return nil
}

// RevokeToken simulates the bot token being reset in the Developer Portal
// while the bot runs: the old token stops working (REST 401, IDENTIFY and
// RESUME closed with 4004), every open gateway connection is closed with
// 4004, and the new token is returned.
func (s *Server) RevokeToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = "revoked-" + randomToken(12)
	for c := range s.conns {
		if c.session != nil {
			c.session.dead = true
		}
		c.sendLocked(outFrame{closeCode: CloseAuthenticationFailed, closeText: "Authentication failed."})
	}
	s.notifyLocked()
	return s.token
}

// SetBotPermissions changes the bot's permissions in a guild (what a server
// admin does by editing the bot's role), for messages sent from now on.
func (s *Server) SetBotPermissions(guildID string, perms int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.guildLocked(guildID)
	if err != nil {
		return err
	}
	m, ok := g.Members[s.opts.AppID]
	if !ok {
		return fmt.Errorf("fakediscord: the bot is not in guild %s", guildID)
	}
	m.Permissions = perms
	return nil
}
