package fakediscord

import (
	"encoding/json"
	"net/http"
	"time"
)

// Interaction callback types (https://discord.com/developers/docs/interactions/receiving-and-responding).
const (
	respPong                  = 1
	respChannelMessage        = 4
	respDeferredChannelMsg    = 5
	respDeferredUpdateMessage = 6
	respUpdateMessage         = 7
	respAutocomplete          = 8
	respModal                 = 9

	interactionPing         = 1
	interactionCommand      = 2
	interactionComponent    = 3
	interactionAutocomplete = 4
	interactionModalSubmit  = 5
)

// ResponseAttempt records one call the bot made about an interaction, and
// what the server answered.
type ResponseAttempt struct {
	Kind    string // "callback", "get_original", "edit_original", "delete_original", "followup", "edit_followup", ...
	Type    int    // callback type, for "callback"
	Status  int
	Code    int           // Discord error code, 0 on success
	Elapsed time.Duration // since the interaction was created, on the server clock
}

type interactionState struct {
	id             string
	token          string
	typ            int
	commandType    int
	name           string
	created        time.Time
	userID         string
	channelID      string
	guildID        string
	componentMsgID string
	baseVersions   int // versions of the component message when pressed
	responded      bool
	respType       int
	respElapsed    time.Duration
	originalID     string
	ephemeral      bool
	followups      []string
	attempts       []ResponseAttempt
	modal          json.RawMessage
	modalSubmitted bool // the modal closes when submitted
	payload        json.RawMessage
}

func (s *Server) recordAttemptLocked(it *interactionState, kind string, typ, status, code int) {
	it.attempts = append(it.attempts, ResponseAttempt{Kind: kind, Type: typ, Status: status, Code: code, Elapsed: s.clock.Now().Sub(it.created)})
	s.notifyLocked()
}

// recordWebhookLocked records the outcome of a webhook request (get, edit,
// delete, follow-up) on its interaction, okStatus when e is nil, and returns
// e so a handler can end with it. it is nil when the token named none.
func (s *Server) recordWebhookLocked(it *interactionState, kind string, okStatus int, e *APIError) *APIError {
	if it == nil {
		return e
	}
	if e != nil {
		s.recordAttemptLocked(it, kind, 0, e.Status, e.Code)
	} else {
		s.recordAttemptLocked(it, kind, 0, okStatus, 0)
	}
	return e
}

type callbackBody struct {
	Type *int            `json:"type"`
	Data json.RawMessage `json:"data"`
}

func (s *Server) interactionCallback(w http.ResponseWriter, r *http.Request) *APIError {
	raw, files, aerr := s.readBody(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.interactions[r.PathValue("interaction_id")]
	if !ok || it.token != r.PathValue("token") {
		return apiErr(http.StatusNotFound, CodeUnknownInteraction, "Unknown interaction")
	}
	fail := func(e *APIError, typ int) *APIError {
		s.recordAttemptLocked(it, "callback", typ, e.Status, e.Code)
		return e
	}
	if aerr != nil {
		return fail(aerr, 0)
	}
	var body callbackBody
	if err := json.Unmarshal(raw, &body); err != nil || body.Type == nil {
		var fe formErrors
		fe.add([]any{"type"}, "BASE_TYPE_REQUIRED", "This field is required")
		return fail(fe.err(), 0)
	}
	typ := *body.Type
	elapsed := s.clock.Now().Sub(it.created)
	if it.responded {
		return fail(apiErr(http.StatusBadRequest, CodeAlreadyAcknowledged, "Interaction has already been acknowledged."), typ)
	}
	if elapsed > s.opts.ResponseDeadline {
		return fail(apiErr(http.StatusNotFound, CodeUnknownInteraction, "Unknown interaction"), typ)
	}
	invalidType := func() *APIError {
		var fe formErrors
		fe.add([]any{"type"}, "INTERACTION_RESPONSE_TYPE_INVALID", "Interaction response type is invalid for this interaction")
		return fail(fe.err(), typ)
	}
	isComponent := it.typ == interactionComponent || (it.typ == interactionModalSubmit && it.componentMsgID != "")
	data := body.Data
	if len(data) == 0 || string(data) == "null" {
		data = json.RawMessage("{}")
	}
	switch typ {
	case respChannelMessage, respDeferredChannelMsg:
		if it.typ == interactionAutocomplete {
			return invalidType()
		}
		in, aerr := decodeMsgInput(data, files)
		if aerr != nil {
			return fail(aerr, typ)
		}
		ephemeral := in.flags&msgFlagEphemeral != 0
		var sm *storedMessage
		if typ == respChannelMessage {
			sm, aerr = s.interactionMessageLocked(it, in, ephemeral)
			if aerr != nil {
				return fail(aerr, typ)
			}
		} else {
			sm = s.loadingMessageLocked(it, ephemeral)
		}
		it.originalID = sm.msg.ID
		it.ephemeral = ephemeral
		s.storeMessageLocked(sm)
		s.markRespondedLocked(it, typ, elapsed)
	case respDeferredUpdateMessage, respUpdateMessage:
		if !isComponent {
			return invalidType()
		}
		sm, ok := s.messages[it.componentMsgID]
		if !ok || sm.deleted {
			return fail(apiErr(http.StatusNotFound, CodeUnknownMessage, "Unknown Message"), typ)
		}
		if typ == respUpdateMessage {
			in, aerr := decodeMsgInput(data, files)
			if aerr != nil {
				return fail(aerr, typ)
			}
			app := ""
			if sm.visibleTo != "" {
				app = s.opts.AppID
			}
			if aerr := s.applyEditLocked(sm, in, app); aerr != nil {
				return fail(aerr, typ)
			}
		}
		it.originalID = sm.msg.ID
		it.ephemeral = sm.visibleTo != ""
		s.markRespondedLocked(it, typ, elapsed)
	case respModal:
		if it.typ == interactionModalSubmit || it.typ == interactionAutocomplete {
			return invalidType()
		}
		var modal struct {
			CustomID   *string         `json:"custom_id"`
			Title      *string         `json:"title"`
			Components json.RawMessage `json:"components"`
		}
		_ = json.Unmarshal(data, &modal)
		var fe formErrors
		if modal.CustomID == nil {
			fe.add([]any{"data", "custom_id"}, "BASE_TYPE_REQUIRED", "This field is required")
		} else {
			fe.badLen([]any{"data", "custom_id"}, *modal.CustomID, 1, maxCustomID)
		}
		if modal.Title == nil {
			fe.add([]any{"data", "title"}, "BASE_TYPE_REQUIRED", "This field is required")
		} else {
			fe.badLen([]any{"data", "title"}, *modal.Title, 1, maxModalTitle)
		}
		validateComponents(&fe, modal.Components, true)
		validateModalInputs(&fe, modal.Components)
		if e := fe.err(); e != nil {
			return fail(e, typ)
		}
		it.modal = data
		s.markRespondedLocked(it, typ, elapsed)
	case respAutocomplete:
		if it.typ != interactionAutocomplete {
			return invalidType()
		}
		s.markRespondedLocked(it, typ, elapsed)
	case respPong:
		if it.typ != interactionPing {
			return invalidType()
		}
		s.markRespondedLocked(it, typ, elapsed)
	default:
		return invalidType()
	}
	if r.URL.Query().Get("with_response") == "true" {
		s.recordAttemptLocked(it, "callback", typ, http.StatusOK, 0)
		writeJSON(w, http.StatusOK, s.callbackResponseLocked(it))
		return nil
	}
	s.recordAttemptLocked(it, "callback", typ, http.StatusNoContent, 0)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// callbackResponseLocked is the body of a callback made with
// ?with_response=true (an interaction callback response object).
func (s *Server) callbackResponseLocked(it *interactionState) map[string]any {
	cb := map[string]any{"id": it.id, "type": it.typ, "activity_instance_id": nil}
	resource := map[string]any{"type": it.respType}
	if sm, ok := s.messages[it.originalID]; ok && (it.respType == respChannelMessage || it.respType == respDeferredChannelMsg || it.respType == respUpdateMessage) {
		cb["response_message_id"] = sm.msg.ID
		cb["response_message_loading"] = sm.msg.Flags&msgFlagLoading != 0
		cb["response_message_ephemeral"] = sm.visibleTo != ""
		resource["message"] = sm.msg
	}
	return map[string]any{"interaction": cb, "resource": resource}
}

func (s *Server) markRespondedLocked(it *interactionState, typ int, elapsed time.Duration) {
	it.responded = true
	it.respType = typ
	it.respElapsed = elapsed
	s.publishInteractionLocked(it)
	s.notifyLocked()
}

// messageType is the message type Discord gives interaction responses.
func (it *interactionState) messageType() int {
	switch {
	case it.typ == interactionCommand && it.commandType == cmdChatInput:
		return 20 // CHAT_INPUT_COMMAND
	case it.typ == interactionCommand:
		return 23 // CONTEXT_MENU_COMMAND
	default:
		return 19 // REPLY (component and modal responses)
	}
}

func (s *Server) decorateInteractionMessageLocked(it *interactionState, m *wireMessage, ephemeral bool) {
	user := s.userLocked(it.userID)
	m.Type = it.messageType()
	m.WebhookID = s.opts.AppID
	m.ApplicationID = s.opts.AppID
	m.Interaction = &wireMessageInteraction{ID: it.id, Type: it.typ, Name: it.name, User: user}
	owners := map[string]string{"0": it.guildID}
	if it.guildID == "" {
		owners = map[string]string{"1": it.userID}
	}
	md := &wireInteractionMetadata{ID: it.id, Type: it.typ, User: user, AuthorizingIntegrationOwners: owners}
	if it.componentMsgID != "" {
		md.InteractedMessageID = it.componentMsgID
	}
	m.InteractionMetadata = md
	if ephemeral {
		m.Flags |= msgFlagEphemeral
	}
	m.Member = nil
	if it.guildID != "" {
		m.Member = s.memberLocked(s.guilds[it.guildID], s.opts.AppID, false, false)
	}
	if it.componentMsgID != "" && m.Type == 19 {
		if ref, ok := s.messages[it.componentMsgID]; ok {
			m.MessageReference = &wireMessageReference{MessageID: ref.msg.ID, ChannelID: ref.msg.ChannelID, GuildID: ref.msg.GuildID}
			rm := ref.msg.clone()
			m.ReferencedMessage = &rm
		}
	}
}

func (s *Server) interactionMessageLocked(it *interactionState, in *msgInput, ephemeral bool) (*storedMessage, *APIError) {
	ch := s.channels[it.channelID]
	stored := s.storeUploadsLocked(ch.ID, s.opts.AppID, in.files, ephemeral)
	ref := in.ref
	in.ref = nil // interaction responses ignore message_reference
	sm, aerr := s.buildBotMessageLocked(ch, in, stored)
	in.ref = ref
	if aerr != nil {
		s.dropFilesLocked(stored)
		return nil, aerr
	}
	s.decorateInteractionMessageLocked(it, &sm.msg, ephemeral)
	if ephemeral {
		sm.visibleTo = it.userID
	}
	sm.interactionID = it.id
	return sm, nil
}

// loadingMessageLocked is the "Bot is thinking..." message of a deferred
// response (flags LOADING).
func (s *Server) loadingMessageLocked(it *interactionState, ephemeral bool) *storedMessage {
	ch := s.channels[it.channelID]
	m := wireMessage{ID: s.newIDLocked(), ChannelID: ch.ID, GuildID: ch.GuildID, Author: s.botUserLocked(),
		Timestamp: timestamp(s.clock.Now()), Mentions: []wireUser{}, MentionRoles: []string{},
		Attachments: []wireAttachment{}, Embeds: nil, Components: json.RawMessage("[]"), Flags: msgFlagLoading}
	s.decorateInteractionMessageLocked(it, &m, ephemeral)
	sm := &storedMessage{msg: m, interactionID: it.id}
	if ephemeral {
		sm.visibleTo = it.userID
	}
	return sm
}

// webhookInteractionLocked finds the interaction behind an interaction
// webhook token, enforcing its lifetime.
func (s *Server) webhookInteractionLocked(r *http.Request) (*interactionState, *APIError) {
	unknown := apiErr(http.StatusNotFound, CodeUnknownWebhook, "Unknown Webhook")
	if r.PathValue("application_id") != s.opts.AppID {
		return nil, unknown
	}
	it, ok := s.byToken[r.PathValue("token")]
	if !ok {
		return nil, unknown
	}
	elapsed := s.clock.Now().Sub(it.created)
	if elapsed > s.opts.TokenLifetime {
		// Discord answers an expired interaction token with 401 50027.
		return it, apiErr(http.StatusUnauthorized, CodeInvalidWebhookToken, "Invalid Webhook Token")
	}
	if !it.responded && elapsed > s.opts.ResponseDeadline {
		return it, unknown // never acknowledged: the token died with the interaction
	}
	return it, nil
}

func (s *Server) webhookMessageLocked(it *interactionState, id string) (*storedMessage, *APIError) {
	unknown := apiErr(http.StatusNotFound, CodeUnknownMessage, "Unknown Message")
	if id == "@original" {
		id = it.originalID
	} else if id != it.originalID {
		found := false
		for _, f := range it.followups {
			found = found || f == id
		}
		if !found {
			return nil, unknown
		}
	}
	sm, ok := s.messages[id]
	if id == "" || !ok || sm.deleted {
		return nil, unknown
	}
	return sm, nil
}

func attemptKind(r *http.Request, base string) string {
	if r.PathValue("message_id") == "@original" {
		return base + "_original"
	}
	return base + "_followup"
}

func (s *Server) webhookGetMessage(w http.ResponseWriter, r *http.Request) *APIError {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, aerr := s.webhookInteractionLocked(r)
	if aerr == nil {
		var sm *storedMessage
		if sm, aerr = s.webhookMessageLocked(it, r.PathValue("message_id")); aerr == nil {
			writeJSON(w, http.StatusOK, sm.msg)
		}
	}
	return s.recordWebhookLocked(it, attemptKind(r, "get"), http.StatusOK, aerr)
}

func (s *Server) webhookEditMessage(w http.ResponseWriter, r *http.Request) *APIError {
	raw, files, rerr := s.readBody(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	it, aerr := s.webhookInteractionLocked(r)
	record := func(e *APIError) *APIError {
		return s.recordWebhookLocked(it, attemptKind(r, "edit"), http.StatusOK, e)
	}
	if aerr != nil {
		return record(aerr)
	}
	if rerr != nil {
		return record(rerr)
	}
	sm, aerr := s.webhookMessageLocked(it, r.PathValue("message_id"))
	if aerr != nil {
		return record(aerr)
	}
	in, aerr := decodeMsgInput(raw, files)
	if aerr != nil {
		return record(aerr)
	}
	app := ""
	if sm.visibleTo != "" {
		app = s.opts.AppID
	}
	if aerr := s.applyEditLocked(sm, in, app); aerr != nil {
		return record(aerr)
	}
	record(nil)
	s.publishInteractionLocked(it)
	writeJSON(w, http.StatusOK, sm.msg)
	return nil
}

func (s *Server) webhookDeleteMessage(w http.ResponseWriter, r *http.Request) *APIError {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, aerr := s.webhookInteractionLocked(r)
	if aerr == nil {
		var sm *storedMessage
		if sm, aerr = s.webhookMessageLocked(it, r.PathValue("message_id")); aerr == nil {
			s.deleteMessageLocked(sm)
			w.WriteHeader(http.StatusNoContent)
		}
	}
	return s.recordWebhookLocked(it, attemptKind(r, "delete"), http.StatusNoContent, aerr)
}

func (s *Server) webhookExecute(w http.ResponseWriter, r *http.Request) *APIError {
	raw, files, rerr := s.readBody(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	it, aerr := s.webhookInteractionLocked(r)
	record := func(e *APIError) *APIError {
		return s.recordWebhookLocked(it, "followup", http.StatusOK, e)
	}
	if aerr != nil {
		return record(aerr)
	}
	if rerr != nil {
		return record(rerr)
	}
	if !it.responded {
		return record(apiErr(http.StatusNotFound, CodeUnknownWebhook, "Unknown Webhook"))
	}
	in, aerr := decodeMsgInput(raw, files)
	if aerr != nil {
		return record(aerr)
	}
	var sm *storedMessage
	// The first follow-up after a deferred response replaces the loading
	// message, as on Discord.
	if orig, ok := s.messages[it.originalID]; ok && !orig.deleted && orig.msg.Flags&msgFlagLoading != 0 {
		app := ""
		if orig.visibleTo != "" {
			app = s.opts.AppID
		}
		if aerr := s.applyEditLocked(orig, in, app); aerr != nil {
			return record(aerr)
		}
		sm = orig
	} else {
		ephemeral := in.flags&msgFlagEphemeral != 0
		sm, aerr = s.interactionMessageLocked(it, in, ephemeral)
		if aerr != nil {
			return record(aerr)
		}
		it.followups = append(it.followups, sm.msg.ID)
		s.storeMessageLocked(sm)
	}
	record(nil)
	s.publishInteractionLocked(it)
	// For interaction follow-ups "wait" is always true: the message comes back.
	writeJSON(w, http.StatusOK, sm.msg)
	return nil
}
