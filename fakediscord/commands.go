package fakediscord

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// ---- application commands ----

func (s *Server) commandScope(r *http.Request) (string, *APIError) {
	if r.PathValue("application_id") != s.opts.AppID {
		return "", apiErr(http.StatusForbidden, CodeMissingAccess, "Missing Access")
	}
	g := r.PathValue("guild_id")
	if g != "" {
		if gs, ok := s.guilds[g]; !ok || gs.removed {
			return "", apiErr(http.StatusForbidden, CodeMissingAccess, "Missing Access")
		}
	}
	return g, nil
}

func (s *Server) getCommands(w http.ResponseWriter, r *http.Request) *APIError {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, aerr := s.commandScope(r)
	if aerr != nil {
		return aerr
	}
	out := s.commands[g]
	if out == nil {
		out = []*wireCommand{}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func decodeCommand(raw json.RawMessage) (*wireCommand, error) {
	var c wireCommand
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	var extra struct {
		DefaultMemberPermissions json.RawMessage `json:"default_member_permissions"`
	}
	_ = json.Unmarshal(raw, &extra)
	c.DefaultMemberPermissions = nil
	if p := strings.Trim(string(extra.DefaultMemberPermissions), `"`); p != "" && p != "null" {
		if _, err := strconv.ParseInt(p, 10, 64); err != nil {
			return nil, fmt.Errorf("default_member_permissions: %w", err)
		}
		c.DefaultMemberPermissions = &p
	}
	return &c, nil
}

// normalizeCommandLocked fills the fields Discord fills, reusing the id of
// an existing command with the same name and type like bulk overwrite does.
func (s *Server) normalizeCommandLocked(c *wireCommand, guildID string, existing []*wireCommand) {
	if c.Type == 0 {
		c.Type = cmdChatInput
	}
	c.ApplicationID = s.opts.AppID
	c.GuildID = guildID
	c.ID = ""
	for _, e := range existing {
		if e.Name == c.Name && e.Type == c.Type {
			c.ID = e.ID
		}
	}
	if c.ID == "" {
		c.ID = s.newIDLocked()
	}
	c.Version = s.newIDLocked()
	if c.Contexts == nil {
		if guildID != "" || (c.DMPermission != nil && !*c.DMPermission) {
			c.Contexts = []int{0}
		} else {
			c.Contexts = []int{0, 1, 2}
		}
	}
	if c.IntegrationTypes == nil {
		c.IntegrationTypes = []int{0}
	}
}

func (s *Server) putCommands(w http.ResponseWriter, r *http.Request) *APIError {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		return apiErr(http.StatusBadRequest, CodeInvalidFormBody, "Invalid Form Body")
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(raw, &raws); err != nil {
		return apiErr(http.StatusBadRequest, CodeInvalidFormBody, "Invalid Form Body: expected an array of commands")
	}
	cmds := make([]*wireCommand, 0, len(raws))
	var fe formErrors
	for i, rc := range raws {
		c, err := decodeCommand(rc)
		if err != nil {
			fe.add([]any{i}, "MODEL_TYPE_CONVERT", err.Error())
			continue
		}
		cmds = append(cmds, c)
	}
	if e := fe.err(); e != nil {
		return e
	}
	if e := validateCommands(cmds); e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, aerr := s.commandScope(r)
	if aerr != nil {
		return aerr
	}
	for _, c := range cmds {
		s.normalizeCommandLocked(c, g, s.commands[g])
	}
	s.commands[g] = cmds
	s.notifyLocked()
	writeJSON(w, http.StatusOK, cmds)
	return nil
}

func (s *Server) postCommand(w http.ResponseWriter, r *http.Request) *APIError {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return apiErr(http.StatusBadRequest, CodeInvalidFormBody, "Invalid Form Body")
	}
	c, err := decodeCommand(raw)
	if err != nil {
		return apiErr(http.StatusBadRequest, CodeInvalidFormBody, "Invalid Form Body: "+err.Error())
	}
	if e := validateCommands([]*wireCommand{c}); e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, aerr := s.commandScope(r)
	if aerr != nil {
		return aerr
	}
	s.normalizeCommandLocked(c, g, s.commands[g])
	status := http.StatusCreated
	replaced := false
	for i, e := range s.commands[g] {
		if e.ID == c.ID {
			s.commands[g][i] = c
			replaced = true
			status = http.StatusOK
		}
	}
	if !replaced {
		s.commands[g] = append(s.commands[g], c)
	}
	s.notifyLocked()
	writeJSON(w, status, c)
	return nil
}

func (s *Server) deleteCommand(w http.ResponseWriter, r *http.Request) *APIError {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, aerr := s.commandScope(r)
	if aerr != nil {
		return aerr
	}
	id := r.PathValue("command_id")
	list := s.commands[g]
	for i, c := range list {
		if c.ID == id {
			s.commands[g] = append(list[:i:i], list[i+1:]...)
			s.notifyLocked()
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
	}
	return apiErr(http.StatusNotFound, CodeUnknownCommand, "Unknown application command")
}
