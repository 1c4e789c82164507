package discordtest

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
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Request records one REST call the server answered.
type Request struct {
	Method string
	Route  string // e.g. "POST /channels/{channel_id}/messages"
	Path   string
	Status int
	Time   time.Time
}

type handlerFunc func(w http.ResponseWriter, r *http.Request) *APIError

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"code":0,"message":"500: Internal Server Error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, &APIError{Code: code, Message: msg})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// routes builds the server's handler: Host decides between the CDN and the
// API like Discord's separate hosts; the loopback host serves both.
func (s *Server) routes() http.Handler {
	api := http.NewServeMux()
	cdn := http.NewServeMux()
	type route struct {
		pattern string
		auth    bool
		h       handlerFunc
	}
	table := []route{
		{"GET /gateway", false, s.getGateway},
		{"GET /gateway/bot", true, s.getGatewayBot},
		{"GET /users/@me", true, s.getMe},
		{"GET /users/{user_id}", true, s.getUser},
		{"POST /users/@me/channels", true, s.createDM},
		{"GET /applications/@me", true, s.getApplication},
		{"GET /oauth2/applications/@me", true, s.getApplication},
		{"GET /guilds/{guild_id}", true, s.getGuild},
		{"GET /guilds/{guild_id}/channels", true, s.getGuildChannels},
		{"GET /guilds/{guild_id}/members/{user_id}", true, s.getMember},
		{"GET /channels/{channel_id}", true, s.getChannel},
		{"POST /channels/{channel_id}/typing", true, s.typing},
		{"GET /channels/{channel_id}/messages", true, s.getMessages},
		{"POST /channels/{channel_id}/messages", true, s.createMessage},
		{"GET /channels/{channel_id}/messages/{message_id}", true, s.getMessage},
		{"PATCH /channels/{channel_id}/messages/{message_id}", true, s.editMessage},
		{"DELETE /channels/{channel_id}/messages/{message_id}", true, s.deleteMessage},
		{"GET /applications/{application_id}/commands", true, s.getCommands},
		{"PUT /applications/{application_id}/commands", true, s.putCommands},
		{"POST /applications/{application_id}/commands", true, s.postCommand},
		{"DELETE /applications/{application_id}/commands/{command_id}", true, s.deleteCommand},
		{"GET /applications/{application_id}/guilds/{guild_id}/commands", true, s.getCommands},
		{"PUT /applications/{application_id}/guilds/{guild_id}/commands", true, s.putCommands},
		{"POST /applications/{application_id}/guilds/{guild_id}/commands", true, s.postCommand},
		{"DELETE /applications/{application_id}/guilds/{guild_id}/commands/{command_id}", true, s.deleteCommand},
		{"POST /interactions/{interaction_id}/{token}/callback", false, s.interactionCallback},
		{"POST /webhooks/{application_id}/{token}", false, s.webhookExecute},
		{"GET /webhooks/{application_id}/{token}/messages/{message_id}", false, s.webhookGetMessage},
		{"PATCH /webhooks/{application_id}/{token}/messages/{message_id}", false, s.webhookEditMessage},
		{"DELETE /webhooks/{application_id}/{token}/messages/{message_id}", false, s.webhookDeleteMessage},
	}
	for _, rt := range table {
		method, path, _ := strings.Cut(rt.pattern, " ")
		h := s.wrap(rt.pattern, rt.auth, rt.h)
		for _, v := range []string{"/api/v9", "/api/v10", "/api"} {
			api.Handle(method+" "+v+path, h)
		}
	}
	notFound := func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, 0, "404: Not Found")
	}
	api.HandleFunc("/", notFound)
	for _, p := range []string{"GET /attachments/{channel_id}/{attachment_id}/{filename}", "GET /ephemeral-attachments/{application_id}/{attachment_id}/{filename}"} {
		cdn.HandleFunc(p, s.serveCDN)
		api.HandleFunc(p, s.serveCDN) // loopback host serves both
	}
	cdn.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := splitHostPort(host); err == nil {
			host = h
		}
		switch {
		case host == "cdn.discordapp.com" || host == "media.discordapp.net":
			cdn.ServeHTTP(w, r)
		case websocket.IsWebSocketUpgrade(r) && (r.URL.Path == "/" || r.URL.Path == ""):
			s.serveGateway(w, r)
		default:
			api.ServeHTTP(w, r)
		}
	})
}

func splitHostPort(hostport string) (string, string, error) {
	i := strings.LastIndex(hostport, ":")
	if i < 0 || strings.Contains(hostport[i:], "]") {
		return hostport, "", errors.New("no port")
	}
	return hostport[:i], hostport[i+1:], nil
}

var placeholder = regexp.MustCompile(`\{[^}]*\}`)

// normRoute makes "POST /channels/{id}/messages" and
// "POST /channels/{channel_id}/messages" equal.
func normRoute(route string) string {
	return placeholder.ReplaceAllString(strings.TrimSpace(route), "{}")
}

func (s *Server) wrap(pattern string, auth bool, h handlerFunc) http.Handler {
	norm := normRoute(pattern)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		start := time.Now()
		defer func() {
			s.log.Debug("discordtest: REST", "method", r.Method, "route", pattern, "status", rec.status, "duration", time.Since(start))
			s.mu.Lock()
			s.requests = append(s.requests, Request{Method: r.Method, Route: pattern, Path: r.URL.Path, Status: rec.status, Time: s.clock.Now()})
			if len(s.requests) > 20000 {
				s.requests = s.requests[len(s.requests)-10000:]
			}
			s.notifyLocked()
			s.mu.Unlock()
		}()
		if d := s.responseDelay(norm); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		if s.applyRateLimit(rec, norm, pattern) {
			return
		}
		if auth {
			s.mu.Lock()
			token := s.token
			s.mu.Unlock()
			if got := r.Header.Get("Authorization"); got != "Bot "+token {
				writeError(rec, http.StatusUnauthorized, 0, "401: Unauthorized")
				return
			}
		}
		h2 := rec.Header()
		h2.Set("X-RateLimit-Limit", "50")
		h2.Set("X-RateLimit-Remaining", "49")
		h2.Set("X-RateLimit-Reset-After", "1.000")
		h2.Set("X-RateLimit-Reset", fmt.Sprintf("%.3f", float64(time.Now().Add(time.Second).UnixMilli())/1000))
		h2.Set("X-RateLimit-Bucket", fmt.Sprintf("%x", norm))
		if err := h(rec, r); err != nil {
			if err.Status == 0 {
				err.Status = http.StatusBadRequest
			}
			writeJSON(rec, err.Status, err)
		}
	})
}

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
