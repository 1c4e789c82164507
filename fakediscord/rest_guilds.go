package fakediscord

import (
	"encoding/json"
	"io"
	"net/http"
)

// ---- gateway, users, guilds, channels ----

func (s *Server) getGateway(w http.ResponseWriter, r *http.Request) *APIError {
	writeJSON(w, http.StatusOK, map[string]string{"url": s.wsURL})
	return nil
}

func (s *Server) getMe(w http.ResponseWriter, r *http.Request) *APIError {
	s.mu.Lock()
	u := s.botUserLocked()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"id": u.ID, "username": u.Username, "discriminator": "0", "global_name": nil,
		"avatar": nil, "bot": true, "verified": true, "mfa_enabled": false, "flags": 0, "public_flags": 0, "locale": "en-US"})
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) *APIError {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[r.PathValue("user_id")]
	if !ok {
		return apiErr(http.StatusNotFound, CodeUnknownUser, "Unknown User")
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) getApplication(w http.ResponseWriter, r *http.Request) *APIError {
	s.mu.Lock()
	bot := s.botUserLocked()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"id": s.opts.AppID, "name": s.opts.BotName, "icon": nil, "description": "",
		"bot_public": true, "bot_require_code_grant": false, "flags": 0, "bot": bot, "verify_key": "0"})
	return nil
}

func (s *Server) getGuild(w http.ResponseWriter, r *http.Request) *APIError {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, aerr := s.guildForBotLocked(r.PathValue("guild_id"))
	if aerr != nil {
		return aerr
	}
	gc := s.guildCreateLocked(g)
	for _, k := range []string{"channels", "members", "threads", "presences", "voice_states", "joined_at", "large", "member_count", "stage_instances", "guild_scheduled_events", "lazy", "unavailable"} {
		delete(gc, k)
	}
	writeJSON(w, http.StatusOK, gc)
	return nil
}

func (s *Server) getGuildChannels(w http.ResponseWriter, r *http.Request) *APIError {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, aerr := s.guildForBotLocked(r.PathValue("guild_id"))
	if aerr != nil {
		return aerr
	}
	out := []wireChannel{}
	for _, id := range g.Channels {
		out = append(out, s.channelJSONLocked(s.channels[id]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getMember(w http.ResponseWriter, r *http.Request) *APIError {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, aerr := s.guildForBotLocked(r.PathValue("guild_id"))
	if aerr != nil {
		return aerr
	}
	m := s.memberLocked(g, r.PathValue("user_id"), true, false)
	if m == nil {
		return apiErr(http.StatusNotFound, 10007, "Unknown Member")
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request) *APIError {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, aerr := s.channelForBotLocked(r.PathValue("channel_id"))
	if aerr != nil {
		return aerr
	}
	writeJSON(w, http.StatusOK, s.channelJSONLocked(c))
	return nil
}

func (s *Server) typing(w http.ResponseWriter, r *http.Request) *APIError {
	s.mu.Lock()
	_, aerr := s.channelForBotLocked(r.PathValue("channel_id"))
	s.mu.Unlock()
	if aerr != nil {
		return aerr
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) createDM(w http.ResponseWriter, r *http.Request) *APIError {
	var body struct {
		RecipientID string `json:"recipient_id"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil || body.RecipientID == "" {
		var fe formErrors
		fe.add([]any{"recipient_id"}, "BASE_TYPE_REQUIRED", "This field is required")
		return fe.err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[body.RecipientID]; !ok {
		return apiErr(http.StatusBadRequest, CodeUnknownUser, "Unknown User")
	}
	c := s.dmChannelLocked(body.RecipientID)
	writeJSON(w, http.StatusOK, s.channelJSONLocked(c))
	return nil
}

// dmChannelLocked returns (creating if needed) the DM channel between the
// bot and a user.
func (s *Server) dmChannelLocked(userID string) *channelState {
	for _, c := range s.channels {
		if c.Type == 1 && c.Recipient == userID {
			return c
		}
	}
	c := &channelState{ID: s.newIDLocked(), Type: 1, Recipient: userID}
	s.channels[c.ID] = c
	return c
}
