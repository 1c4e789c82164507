package fakediscord

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// ---- message bodies ----

type upload struct {
	index       int
	name        string
	contentType string
	description string
	data        []byte
}

type attachmentRef struct {
	ID          json.RawMessage `json:"id"`
	Filename    string          `json:"filename"`
	Description string          `json:"description"`
}

// msgInput is a decoded create/edit body. present says which keys were in
// the JSON, because an edit changes only those.
type msgInput struct {
	present     map[string]bool
	content     string
	embeds      []*discordgo.MessageEmbed
	components  json.RawMessage
	flags       int
	tts         bool
	ref         *wireMessageReference
	attachments []attachmentRef
	nonce       json.RawMessage
	stickers    []string
	poll        bool
	files       []upload
}

// readBody returns the JSON payload and uploaded files of a JSON or
// multipart/form-data request.
func (s *Server) readBody(r *http.Request) (json.RawMessage, []upload, *APIError) {
	limit := s.opts.MaxFileSize*maxFiles + 8<<20
	body := http.MaxBytesReader(nil, r.Body, limit)
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		b, err := io.ReadAll(body)
		if err != nil {
			return nil, nil, apiErr(http.StatusRequestEntityTooLarge, CodeEntityTooLarge, "Request entity too large")
		}
		if len(strings.TrimSpace(string(b))) == 0 {
			return json.RawMessage("{}"), nil, nil
		}
		if !json.Valid(b) {
			return nil, nil, apiErr(http.StatusBadRequest, CodeInvalidFormBody, "The request body contains invalid JSON.")
		}
		return b, nil, nil
	}
	mr := multipart.NewReader(body, params["boundary"])
	var payload json.RawMessage = json.RawMessage("{}")
	var files []upload
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, nil, apiErr(http.StatusRequestEntityTooLarge, CodeEntityTooLarge, "Request entity too large")
			}
			return nil, nil, apiErr(http.StatusBadRequest, CodeInvalidFormBody, "Invalid multipart body: "+err.Error())
		}
		name := part.FormName()
		if name == "payload_json" {
			b, err := io.ReadAll(io.LimitReader(part, 1<<20))
			if err != nil || !json.Valid(b) {
				return nil, nil, apiErr(http.StatusBadRequest, CodeInvalidFormBody, "The request body contains invalid JSON.")
			}
			payload = b
			continue
		}
		if part.FileName() == "" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, s.opts.MaxFileSize+1))
		if err != nil {
			return nil, nil, apiErr(http.StatusRequestEntityTooLarge, CodeEntityTooLarge, "Request entity too large")
		}
		if int64(len(data)) > s.opts.MaxFileSize {
			return nil, nil, apiErr(http.StatusRequestEntityTooLarge, CodeEntityTooLarge, "Request entity too large")
		}
		idx := len(files)
		if strings.HasPrefix(name, "files[") && strings.HasSuffix(name, "]") {
			if n, err := strconv.Atoi(name[6 : len(name)-1]); err == nil {
				idx = n
			}
		} else if strings.HasPrefix(name, "file") {
			if n, err := strconv.Atoi(strings.TrimPrefix(name, "file")); err == nil {
				idx = n
			}
		}
		files = append(files, upload{index: idx, name: part.FileName(), contentType: part.Header.Get("Content-Type"), data: data})
	}
	if len(files) > maxFiles {
		var fe formErrors
		fe.add([]any{"files"}, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxFiles))
		return nil, nil, fe.err()
	}
	return payload, files, nil
}

func decodeMsgInput(raw json.RawMessage, files []upload) (*msgInput, *APIError) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, apiErr(http.StatusBadRequest, CodeInvalidFormBody, "Invalid Form Body")
	}
	in := &msgInput{present: map[string]bool{}, files: files, components: json.RawMessage("[]")}
	var fe formErrors
	isNull := func(v json.RawMessage) bool { return string(v) == "null" }
	for k, v := range m {
		in.present[k] = true
		var err error
		switch k {
		case "content":
			if !isNull(v) {
				err = json.Unmarshal(v, &in.content)
			}
		case "embeds":
			if !isNull(v) {
				err = json.Unmarshal(v, &in.embeds)
			}
		case "embed": // legacy single embed
			if !isNull(v) {
				var e discordgo.MessageEmbed
				if err = json.Unmarshal(v, &e); err == nil {
					in.embeds = append(in.embeds, &e)
					in.present["embeds"] = true
				}
			}
		case "components":
			if !isNull(v) {
				in.components = v
			}
		case "flags":
			if !isNull(v) {
				err = json.Unmarshal(v, &in.flags)
			}
		case "tts":
			if !isNull(v) {
				err = json.Unmarshal(v, &in.tts)
			}
		case "message_reference":
			if !isNull(v) {
				err = json.Unmarshal(v, &in.ref)
			}
		case "attachments":
			if !isNull(v) {
				err = json.Unmarshal(v, &in.attachments)
			}
		case "nonce":
			in.nonce = v
		case "sticker_ids":
			if !isNull(v) {
				err = json.Unmarshal(v, &in.stickers)
			}
		case "poll":
			in.poll = !isNull(v)
		}
		if err != nil {
			fe.add([]any{k}, "MODEL_TYPE_CONVERT", "Invalid value: "+err.Error())
		}
	}
	if e := fe.err(); e != nil {
		return nil, e
	}
	for _, a := range in.attachments {
		// New files are referred to by their index, as a number or a string.
		var n int
		var str string
		ok := json.Unmarshal(a.ID, &n) == nil
		if !ok && json.Unmarshal(a.ID, &str) == nil {
			var err error
			n, err = strconv.Atoi(str)
			ok = err == nil && n < maxFiles
		}
		if ok {
			for i := range in.files {
				if in.files[i].index == n && a.Description != "" {
					in.files[i].description = a.Description
				}
			}
		}
	}
	if in.present["embeds"] {
		for _, e := range in.embeds {
			if e != nil && e.Type == "" {
				e.Type = discordgo.EmbedTypeRich
			}
		}
	}
	return in, nil
}

// validateMsg checks a message as it will be after create or edit.
func validateMsg(content string, embeds []*discordgo.MessageEmbed, components json.RawMessage, nAttachments int, in *msgInput) *APIError {
	var fe formErrors
	validateContent(&fe, content)
	validateEmbeds(&fe, embeds)
	rows := validateComponents(&fe, components, false)
	if e := fe.err(); e != nil {
		return e
	}
	if content == "" && len(embeds) == 0 && nAttachments == 0 && len(rows) == 0 && (in == nil || (len(in.stickers) == 0 && !in.poll)) {
		return apiErr(http.StatusBadRequest, CodeEmptyMessage, "Cannot send an empty message")
	}
	return nil
}

var mentionRE = regexp.MustCompile(`<@!?(\d+)>`)

var roleMentionRE = regexp.MustCompile(`<@&(\d+)>`)

// roleMentionsLocked lists the guild's roles mentioned in content, once
// each, as "mention_roles" does.
func (s *Server) roleMentionsLocked(guildID, content string) []string {
	out := []string{}
	g, ok := s.guilds[guildID]
	if !ok {
		return out
	}
	for _, m := range roleMentionRE.FindAllStringSubmatch(content, -1) {
		if m[1] == g.BotRoleID && !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

func (s *Server) mentionsLocked(content string) []wireUser {
	out := []wireUser{}
	seen := map[string]bool{}
	for _, m := range mentionRE.FindAllStringSubmatch(content, -1) {
		if seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		if u, ok := s.users[m[1]]; ok {
			out = append(out, *u)
		}
	}
	return out
}

// buildBotMessageLocked turns a create body into a stored message authored
// by the bot (or by the application's webhook for interaction responses).
func (s *Server) buildBotMessageLocked(ch *channelState, in *msgInput, files []*storedFile) (*storedMessage, *APIError) {
	now := s.clock.Now()
	atts, embeds := s.attachFilesLocked(files, in.embeds)
	if err := validateMsg(in.content, embeds, in.components, len(atts)+countEmbedFiles(files, atts), in); err != nil {
		return nil, err
	}
	m := wireMessage{
		ID: s.newIDLocked(), Type: 0, ChannelID: ch.ID, GuildID: ch.GuildID,
		Author: s.botUserLocked(), Content: in.content, Timestamp: timestamp(now),
		TTS: in.tts, Mentions: s.mentionsLocked(in.content), MentionRoles: s.roleMentionsLocked(ch.GuildID, in.content),
		Attachments: atts, Embeds: embeds, Components: normComponents(in.components),
		Flags: in.flags &^ (msgFlagEphemeral | msgFlagLoading), Nonce: in.nonce,
	}
	if ch.GuildID != "" {
		m.Member = s.memberLocked(s.guilds[ch.GuildID], s.opts.AppID, false, false)
	}
	if in.ref != nil && in.ref.MessageID != "" {
		ref, ok := s.messages[in.ref.MessageID]
		if !ok || ref.deleted || ref.msg.ChannelID != ch.ID {
			if in.ref.FailIfNotExists == nil || *in.ref.FailIfNotExists {
				var fe formErrors
				fe.add([]any{"message_reference"}, "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
				return nil, fe.err()
			}
		} else {
			m.Type = 19 // REPLY
			m.MessageReference = &wireMessageReference{Type: 0, MessageID: ref.msg.ID, ChannelID: ch.ID, GuildID: ch.GuildID}
			rm := ref.msg.clone()
			m.ReferencedMessage = &rm
		}
	}
	sm := &storedMessage{msg: m}
	for _, f := range files {
		sm.fileIDs = append(sm.fileIDs, f.ID)
	}
	return sm, nil
}

func countEmbedFiles(files []*storedFile, atts []wireAttachment) int {
	return len(files) - len(atts)
}

func normComponents(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage("[]")
	}
	return raw
}

// storeMessageLocked saves a new message and announces it.
func (s *Server) storeMessageLocked(sm *storedMessage) {
	s.messages[sm.msg.ID] = sm
	s.messageOrder = append(s.messageOrder, sm.msg.ID)
	s.channelMsgs[sm.msg.ChannelID] = append(s.channelMsgs[sm.msg.ChannelID], sm.msg.ID)
	s.pruneLocked() // retention.go
	if sm.visibleTo == "" {
		s.dispatchMessageLocked("MESSAGE_CREATE", sm)
	}
	s.publishLocked(EventMessageCreate, sm)
	s.notifyLocked()
}

// canSeeContent applies the Message Content intent rule for a recipient
// that has (or lacks) the intent.
func (s *Server) canSeeContentLocked(m *wireMessage, hasIntent bool) bool {
	if hasIntent || m.GuildID == "" || m.Author.ID == s.opts.AppID {
		return true
	}
	for _, u := range m.Mentions {
		if u.ID == s.opts.AppID {
			return true
		}
	}
	// "Content in which the app is mentioned" links to the mention formats,
	// role mentions included
	// (https://discord.com/developers/docs/events/gateway#message-content-intent);
	// the server counts a mention of the bot's managed role as one.
	if g, ok := s.guilds[m.GuildID]; ok && slices.Contains(m.MentionRoles, g.BotRoleID) {
		return true
	}
	return false
}

func (s *Server) dispatchMessageLocked(typ string, sm *storedMessage) {
	intent := intentGuildMessages
	if sm.msg.GuildID == "" {
		intent = intentDirectMessages
	}
	s.dispatchLocked(typ, sm.msg.GuildID, func(sess *gwSession) (any, bool) {
		if sess.intents&intent == 0 {
			return nil, false
		}
		return s.viewLocked(sm.msg, sess.intents&intentMessageContent != 0), true
	})
}

// viewLocked applies the Message Content rule to a message and to the
// message it replies to.
func (s *Server) viewLocked(m wireMessage, hasIntent bool) wireMessage {
	out := m
	if !s.canSeeContentLocked(&m, hasIntent) {
		out = m.stripContent()
	}
	if ref := out.ReferencedMessage; ref != nil && !s.canSeeContentLocked(ref, hasIntent) {
		stripped := ref.stripContent() // out is a copy: m's pointer is untouched
		out.ReferencedMessage = &stripped
	}
	return out
}

// restViewLocked is a message as the bot reads it over REST.
func (s *Server) restViewLocked(sm *storedMessage) wireMessage {
	return s.viewLocked(sm.msg, s.opts.MessageContentAllowed)
}

func (s *Server) guildForBotLocked(id string) (*guildState, *APIError) {
	g, ok := s.guilds[id]
	if !ok {
		return nil, apiErr(http.StatusNotFound, CodeUnknownGuild, "Unknown Guild")
	}
	if g.removed {
		return nil, apiErr(http.StatusForbidden, CodeMissingAccess, "Missing Access")
	}
	return g, nil
}

func (s *Server) channelForBotLocked(id string) (*channelState, *APIError) {
	ch, ok := s.channels[id]
	if !ok {
		return nil, apiErr(http.StatusNotFound, CodeUnknownChannel, "Unknown Channel")
	}
	if g, ok := s.guilds[ch.GuildID]; ok && g.removed {
		return nil, apiErr(http.StatusForbidden, CodeMissingAccess, "Missing Access")
	}
	return ch, nil
}

func (s *Server) createMessage(w http.ResponseWriter, r *http.Request) *APIError {
	raw, files, aerr := s.readBody(r)
	if aerr != nil {
		return aerr
	}
	in, aerr := decodeMsgInput(raw, files)
	if aerr != nil {
		return aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, aerr := s.channelForBotLocked(r.PathValue("channel_id"))
	if aerr != nil {
		return aerr
	}
	if ch.GuildID != "" {
		if aerr := s.checkSendPermissionsLocked(ch, in, len(files) > 0); aerr != nil {
			return aerr
		}
	}
	stored := s.storeUploadsLocked(ch.ID, "", in.files, false)
	sm, aerr := s.buildBotMessageLocked(ch, in, stored)
	if aerr != nil {
		s.dropFilesLocked(stored)
		return aerr
	}
	s.storeMessageLocked(sm)
	writeJSON(w, http.StatusOK, sm.msg)
	return nil
}

func (s *Server) getMessages(w http.ResponseWriter, r *http.Request) *APIError {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, aerr := s.channelForBotLocked(r.PathValue("channel_id"))
	if aerr != nil {
		return aerr
	}
	limit := 50
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			var fe formErrors
			fe.add([]any{"limit"}, "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")
			return fe.err()
		}
		limit = n
	}
	before, after := r.URL.Query().Get("before"), r.URL.Query().Get("after")
	out := []wireMessage{}
	ids := s.channelMsgs[ch.ID]
	for i := len(ids) - 1; i >= 0 && len(out) < limit; i-- {
		sm := s.messages[ids[i]]
		if sm.deleted || sm.visibleTo != "" {
			continue
		}
		if before != "" && !snowflakeLess(sm.msg.ID, before) {
			continue
		}
		if after != "" && !snowflakeLess(after, sm.msg.ID) {
			continue
		}
		out = append(out, s.restViewLocked(sm))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func snowflakeLess(a, b string) bool {
	x, _ := strconv.ParseUint(a, 10, 64)
	y, _ := strconv.ParseUint(b, 10, 64)
	return x < y
}

func (s *Server) channelMessageLocked(r *http.Request) (*storedMessage, *APIError) {
	if _, aerr := s.channelForBotLocked(r.PathValue("channel_id")); aerr != nil {
		return nil, aerr
	}
	sm, ok := s.messages[r.PathValue("message_id")]
	if !ok || sm.deleted || sm.visibleTo != "" || sm.msg.ChannelID != r.PathValue("channel_id") {
		return nil, apiErr(http.StatusNotFound, CodeUnknownMessage, "Unknown Message")
	}
	return sm, nil
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request) *APIError {
	s.mu.Lock()
	defer s.mu.Unlock()
	sm, aerr := s.channelMessageLocked(r)
	if aerr != nil {
		return aerr
	}
	writeJSON(w, http.StatusOK, s.restViewLocked(sm))
	return nil
}

func (s *Server) editMessage(w http.ResponseWriter, r *http.Request) *APIError {
	raw, files, aerr := s.readBody(r)
	if aerr != nil {
		return aerr
	}
	in, aerr := decodeMsgInput(raw, files)
	if aerr != nil {
		return aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sm, aerr := s.channelMessageLocked(r)
	if aerr != nil {
		return aerr
	}
	if sm.msg.Author.ID != s.opts.AppID {
		return apiErr(http.StatusForbidden, CodeCannotEditOthers, "Cannot edit a message authored by another user")
	}
	if aerr := s.applyEditLocked(sm, in, ""); aerr != nil {
		return aerr
	}
	writeJSON(w, http.StatusOK, sm.msg)
	return nil
}

// messageFilesLocked returns the files currently on a message, listed or
// hidden in an embed, in upload order.
func (s *Server) messageFilesLocked(sm *storedMessage) []*storedFile {
	listed := map[string]bool{}
	for _, a := range sm.msg.Attachments {
		listed[a.ID] = true
	}
	embedJSON, _ := json.Marshal(sm.msg.Embeds)
	var out []*storedFile
	for _, id := range sm.fileIDs {
		f, ok := s.files[id]
		if ok && (listed[id] || strings.Contains(string(embedJSON), f.Path)) {
			out = append(out, f)
		}
	}
	return out
}

// applyEditLocked edits a stored message with the keys present in the body,
// validates the result, and announces the update.
func (s *Server) applyEditLocked(sm *storedMessage, in *msgInput, ephemeralApp string) *APIError {
	next := sm.msg.clone()
	if in.present["content"] {
		next.Content = in.content
		next.Mentions = s.mentionsLocked(in.content)
		next.MentionRoles = s.roleMentionsLocked(next.GuildID, in.content)
	}
	if in.present["components"] {
		next.Components = normComponents(in.components)
	}
	if in.present["flags"] {
		keep := next.Flags & msgFlagEphemeral
		next.Flags = in.flags&^(msgFlagEphemeral|msgFlagLoading) | keep
	}
	// Attachments: without an "attachments" key, existing files stay and new
	// ones are appended; with it, only the listed existing ones stay
	// (https://discord.com/developers/docs/reference#editing-message-attachments).
	// Files shown inside an embed are attachments too, only hidden.
	existing := s.messageFilesLocked(sm)
	if in.present["attachments"] {
		keep := map[string]bool{}
		for _, a := range in.attachments {
			var id string
			if json.Unmarshal(a.ID, &id) == nil {
				keep[id] = true
			}
		}
		var kept []wireAttachment
		for _, a := range next.Attachments {
			if keep[a.ID] {
				kept = append(kept, a)
			}
		}
		next.Attachments = kept
		existing = slices.DeleteFunc(existing, func(f *storedFile) bool { return !keep[f.ID] })
	}
	stored := s.storeUploadsLocked(next.ChannelID, ephemeralApp, in.files, ephemeralApp != "")
	nFiles := len(next.Attachments) + len(stored)
	if in.present["embeds"] || len(stored) > 0 {
		// The embeds decide again which files are hidden in them: only an
		// attachment://name reference hides a file. An embed that points at
		// a file by its CDN URL shows the picture, and the file, no longer
		// linked to the embed, shows as an attachment too: the picture
		// appears twice (Message.ShownTwice).
		embeds := next.Embeds
		if in.present["embeds"] {
			embeds = in.embeds
		}
		all := append(existing, stored...)
		nFiles = len(all)
		next.Attachments, next.Embeds = s.attachFilesLocked(all, embeds)
	}
	if next.Attachments == nil {
		next.Attachments = []wireAttachment{}
	}
	wasLoading := next.Flags&msgFlagLoading != 0
	if err := validateMsg(next.Content, next.Embeds, next.Components, nFiles, nil); err != nil {
		s.dropFilesLocked(stored)
		return err
	}
	next.Flags &^= msgFlagLoading
	now := timestamp(s.clock.Now())
	if !wasLoading {
		next.EditedTimestamp = &now
	}
	for _, f := range stored {
		sm.fileIDs = append(sm.fileIDs, f.ID)
	}
	sm.versions = append(sm.versions, sm.msg)
	sm.msg = next
	sm.snap = nil
	if sm.visibleTo == "" {
		s.dispatchMessageLocked("MESSAGE_UPDATE", sm)
	}
	s.publishLocked(EventMessageUpdate, sm)
	s.notifyLocked()
	return nil
}

func (s *Server) deleteMessage(w http.ResponseWriter, r *http.Request) *APIError {
	s.mu.Lock()
	defer s.mu.Unlock()
	sm, aerr := s.channelMessageLocked(r)
	if aerr != nil {
		return aerr
	}
	if sm.msg.Author.ID != s.opts.AppID {
		if sm.msg.GuildID == "" {
			return apiErr(http.StatusForbidden, CodeCannotExecuteOnDM, "Cannot execute action on a DM channel")
		}
		if s.permissionsLocked(s.guilds[sm.msg.GuildID], s.opts.AppID)&(1<<13) == 0 {
			return apiErr(http.StatusForbidden, CodeMissingPermissions, "Missing Permissions")
		}
	}
	s.deleteMessageLocked(sm)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) deleteMessageLocked(sm *storedMessage) {
	sm.deleted = true
	sm.snap = nil
	if sm.visibleTo == "" {
		intent := intentGuildMessages
		if sm.msg.GuildID == "" {
			intent = intentDirectMessages
		}
		s.dispatchLocked("MESSAGE_DELETE", sm.msg.GuildID, func(sess *gwSession) (any, bool) {
			d := map[string]string{"id": sm.msg.ID, "channel_id": sm.msg.ChannelID}
			if sm.msg.GuildID != "" {
				d["guild_id"] = sm.msg.GuildID
			}
			return d, sess.intents&intent != 0
		})
	}
	s.publishLocked(EventMessageDelete, sm)
	s.notifyLocked()
}

// checkSendPermissionsLocked refuses a bot message the bot may not send in
// a guild channel, with Discord's 403 50013 "Missing Permissions".
// Limitations of https://discord.com/developers/docs/resources/message#create-message:
// SEND_MESSAGES in a channel; "when creating a message as a reply to
// another message, the current user must have the READ_MESSAGE_HISTORY
// permission". In a thread SEND_MESSAGES is not inherited, SEND_MESSAGES_IN_THREADS
// is needed (https://discord.com/developers/docs/topics/permissions#inherited-permissions-threads).
// Files need ATTACH_FILES and embeds EMBED_LINKS (the docs list these
// permissions in the permission table, not among the limitations; the
// server refuses, the strict reading).
func (s *Server) checkSendPermissionsLocked(ch *channelState, in *msgInput, files bool) *APIError {
	perms := s.permissionsLocked(s.guilds[ch.GuildID], s.opts.AppID)
	send := permSendMessages
	if ch.Type == channelPublicThread {
		send = permSendInThreads
	}
	missing := perms&send == 0 ||
		(in.ref != nil && in.ref.MessageID != "" && perms&permReadHistory == 0) ||
		(files && perms&permAttachFiles == 0) ||
		(len(in.embeds) > 0 && perms&permEmbedLinks == 0)
	if missing {
		return apiErr(http.StatusForbidden, CodeMissingPermissions, "Missing Permissions")
	}
	return nil
}
