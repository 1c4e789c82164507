package playground

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot/fakediscord"
)

// apiError is every error answer: {"error": "a sentence for a person"}.
type apiError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{Error: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// maxJSONBody bounds JSON requests without an image.
const maxJSONBody = 64 << 10

// maxContentRunes is Discord's limit on a message's text.
const maxContentRunes = 2000

// locales the page offers, as Discord client locales.
var locales = []string{"en-US", "es-ES"}

// normalizeLocale accepts a Discord locale or a bare language.
func normalizeLocale(l string) (string, error) {
	switch strings.ToLower(l) {
	case "", "en", "en-us", "en-gb":
		return "en-US", nil
	case "es", "es-es":
		return "es-ES", nil
	case "es-419":
		return "es-419", nil
	}
	return "", fmt.Errorf("Unknown locale %q: use one of %s.", l, strings.Join(locales, ", "))
}

// ---- state ----

type stateView struct {
	Bot            authorView    `json:"bot"`
	Guild          nameView      `json:"guild"`
	Channel        nameView      `json:"channel"`
	Users          []User        `json:"users"`
	Locales        []string      `json:"locales"`
	DefaultLocale  string        `json:"defaultLocale"`
	MaxUploadBytes int64         `json:"maxUploadBytes"`
	Commands       []commandView `json:"commands"`
}

type nameView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type commandView struct {
	Name          string       `json:"name"`
	NameES        string       `json:"nameEs,omitempty"`
	Description   string       `json:"description,omitempty"`
	DescriptionES string       `json:"descriptionEs,omitempty"`
	Type          string       `json:"type"` // "chat" or "message"
	ModeratorOnly bool         `json:"moderatorOnly"`
	Options       []optionView `json:"options,omitempty"`
}

type optionView struct {
	Name          string       `json:"name"`
	NameES        string       `json:"nameEs,omitempty"`
	Description   string       `json:"description,omitempty"`
	DescriptionES string       `json:"descriptionEs,omitempty"`
	Type          string       `json:"type"`
	Required      bool         `json:"required"`
	Choices       []choiceView `json:"choices,omitempty"`
	Min           *float64     `json:"min,omitempty"`
	Max           *float64     `json:"max,omitempty"`
	Options       []optionView `json:"options,omitempty"`
}

type choiceView struct {
	Name   string `json:"name"`
	NameES string `json:"nameEs,omitempty"`
	Value  any    `json:"value"`
}

func (p *Playground) getState(w http.ResponseWriter, r *http.Request) {
	st := stateView{
		Guild: nameView{ID: p.guildID, Name: GuildName}, Channel: nameView{ID: p.channelID, Name: ChannelName},
		Users: p.users, Locales: locales, DefaultLocale: p.locale, MaxUploadBytes: p.maxUpload, Commands: []commandView{},
	}
	for _, g := range p.srv.Guilds() {
		if g.ID != p.guildID {
			continue
		}
		st.Guild.Name = g.Name
		for _, c := range g.Channels {
			if c.ID == p.channelID {
				st.Channel.Name = c.Name
			}
		}
	}
	if u, ok := p.srv.User(p.srv.AppID()); ok {
		st.Bot = p.author(u)
		st.Bot.Bot = true
	}
	for _, c := range p.commands() {
		st.Commands = append(st.Commands, commandViewOf(c))
	}
	writeJSON(w, http.StatusOK, st)
}

// commands are the bot's commands usable in the channel: the guild's, then
// the global ones, as a Discord client lists them.
func (p *Playground) commands() []*discordgo.ApplicationCommand {
	return append(p.srv.Commands(p.guildID), p.srv.Commands("")...)
}

func spanish(m map[discordgo.Locale]string) string {
	if s, ok := m[discordgo.SpanishES]; ok {
		return s
	}
	return m[discordgo.SpanishLATAM]
}

func spanishPtr(m *map[discordgo.Locale]string) string {
	if m == nil {
		return ""
	}
	return spanish(*m)
}

func commandViewOf(c *discordgo.ApplicationCommand) commandView {
	v := commandView{Name: c.Name, NameES: spanishPtr(c.NameLocalizations), Description: c.Description,
		DescriptionES: spanishPtr(c.DescriptionLocalizations), Type: "chat"}
	if c.Type == discordgo.MessageApplicationCommand {
		v.Type = "message"
	}
	if c.DefaultMemberPermissions != nil && *c.DefaultMemberPermissions != 0 {
		v.ModeratorOnly = true
	}
	for _, o := range c.Options {
		v.Options = append(v.Options, optionViewOf(o))
	}
	return v
}

func optionViewOf(o *discordgo.ApplicationCommandOption) optionView {
	v := optionView{Name: o.Name, NameES: spanish(o.NameLocalizations), Description: o.Description,
		DescriptionES: spanish(o.DescriptionLocalizations), Type: optionTypeName(o.Type), Required: o.Required,
		Min: o.MinValue}
	if o.MaxValue != 0 {
		m := o.MaxValue
		v.Max = &m
	}
	for _, c := range o.Choices {
		v.Choices = append(v.Choices, choiceView{Name: c.Name, NameES: spanish(c.NameLocalizations), Value: c.Value})
	}
	for _, s := range o.Options {
		v.Options = append(v.Options, optionViewOf(s))
	}
	return v
}

func optionTypeName(t discordgo.ApplicationCommandOptionType) string {
	switch t {
	case discordgo.ApplicationCommandOptionSubCommand:
		return "subcommand"
	case discordgo.ApplicationCommandOptionSubCommandGroup:
		return "group"
	case discordgo.ApplicationCommandOptionString:
		return "string"
	case discordgo.ApplicationCommandOptionInteger:
		return "integer"
	case discordgo.ApplicationCommandOptionBoolean:
		return "boolean"
	case discordgo.ApplicationCommandOptionUser:
		return "user"
	case discordgo.ApplicationCommandOptionChannel:
		return "channel"
	case discordgo.ApplicationCommandOptionRole:
		return "role"
	case discordgo.ApplicationCommandOptionMentionable:
		return "mentionable"
	case discordgo.ApplicationCommandOptionNumber:
		return "number"
	case discordgo.ApplicationCommandOptionAttachment:
		return "attachment"
	}
	return "unknown"
}

// ---- messages ----

func (p *Playground) getMessages(w http.ResponseWriter, r *http.Request) {
	u, ok := p.user(r.URL.Query().Get("user"))
	if !ok {
		writeError(w, http.StatusBadRequest, p.unknownUser(r.URL.Query().Get("user")))
		return
	}
	out := []messageView{}
	for _, m := range p.srv.Messages(p.channelID) {
		if m.Deleted || (m.VisibleTo != "" && m.VisibleTo != u.ID) {
			continue
		}
		out = append(out, p.view(m))
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": out})
}

func (p *Playground) unknownUser(key string) string {
	if key == "" {
		return fmt.Sprintf("Say who acts: \"user\" must be one of %s.", strings.Join(p.userKeys(), ", "))
	}
	return fmt.Sprintf("Unknown user %q: choose one of %s.", key, strings.Join(p.userKeys(), ", "))
}

// tooLarge is the 413 sentence.
func (p *Playground) tooLarge(name string, size int64) string {
	what := "The file"
	if name != "" {
		what = fmt.Sprintf("The file %q", name)
	}
	if size > 0 {
		return fmt.Sprintf("%s is %s; digitbot accepts images up to %s.", what, humanBytes(size), humanBytes(p.maxUpload))
	}
	return fmt.Sprintf("The upload is larger than digitbot accepts (images up to %s).", humanBytes(p.maxUpload))
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// postMessage posts a user's message (text and files, multipart form
// fields "user", "content", "replyTo" and "file") in the channel.
func (p *Playground) postMessage(w http.ResponseWriter, r *http.Request) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		writeError(w, http.StatusUnsupportedMediaType, "Post a message as multipart/form-data with the fields user, content and file.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, p.maxUpload*maxAttachments+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			writeError(w, http.StatusRequestEntityTooLarge, p.tooLarge("", 0))
			return
		}
		writeError(w, http.StatusBadRequest, "The form could not be read: "+err.Error()+".")
		return
	}
	defer r.MultipartForm.RemoveAll()
	u, ok := p.user(r.FormValue("user"))
	if !ok {
		writeError(w, http.StatusBadRequest, p.unknownUser(r.FormValue("user")))
		return
	}
	content := r.FormValue("content")
	if utf8.RuneCountInString(content) > maxContentRunes {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("The message is %d characters long; Discord allows %d.", utf8.RuneCountInString(content), maxContentRunes))
		return
	}
	headers := r.MultipartForm.File["file"]
	if len(headers) > maxAttachments {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("A message can carry at most %d files; this one has %d.", maxAttachments, len(headers)))
		return
	}
	files := make([]fakediscord.File, 0, len(headers))
	for _, h := range headers {
		if h.Size > p.maxUpload {
			writeError(w, http.StatusRequestEntityTooLarge, p.tooLarge(h.Filename, h.Size))
			return
		}
		f, err := h.Open()
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("The file %q could not be read.", h.Filename))
			return
		}
		data, err := io.ReadAll(io.LimitReader(f, p.maxUpload+1))
		f.Close()
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("The file %q could not be read.", h.Filename))
			return
		}
		if int64(len(data)) > p.maxUpload {
			writeError(w, http.StatusRequestEntityTooLarge, p.tooLarge(h.Filename, int64(len(data))))
			return
		}
		name := h.Filename
		if name == "" {
			name = "image.png"
		}
		files = append(files, fakediscord.File{Name: name, ContentType: h.Header.Get("Content-Type"), Data: data})
	}
	if strings.TrimSpace(content) == "" && len(files) == 0 {
		writeError(w, http.StatusBadRequest, "The message is empty: write something, draw a digit or attach an image.")
		return
	}
	opts := fakediscord.MessageOptions{ChannelID: p.channelID, Author: u.discordUser(), Content: content, Attachments: files}
	if ref := r.FormValue("replyTo"); ref != "" {
		if _, err := p.visibleMessage(ref, u); err != nil {
			writeError(w, http.StatusNotFound, err.Error())
			return
		}
		opts.ReplyTo = ref
	}
	m, err := p.srv.PostMessage(opts)
	if err != nil {
		writeError(w, http.StatusBadRequest, serverSentence(err))
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"message": p.view(m)})
}

// visibleMessage finds a message of the channel the user can see.
func (p *Playground) visibleMessage(id string, u User) (*fakediscord.Message, error) {
	m, ok := p.srv.Message(id)
	if !ok || m.Deleted || m.ChannelID != p.channelID || (m.VisibleTo != "" && m.VisibleTo != u.ID) {
		return nil, fmt.Errorf("There is no message %q in #%s.", id, ChannelName)
	}
	return m, nil
}

// serverSentence turns a fakediscord refusal into a sentence.
func serverSentence(err error) string {
	s := strings.TrimPrefix(err.Error(), "fakediscord: ")
	if s == "" {
		return "The server refused the request."
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// ---- interactions ----

// interactionRequest is the common part of commands, context menus and
// button presses.
type interactionRequest struct {
	User   string `json:"user"`
	Locale string `json:"locale"`
}

type commandRequest struct {
	interactionRequest
	Command    string         `json:"command"`
	Subcommand string         `json:"subcommand"`
	Options    map[string]any `json:"options"`
	// Image fills the command's attachment option (/predict image:).
	Image *imageUpload `json:"image"`
}

type imageUpload struct {
	Name string `json:"name"`
	// Data is the file's bytes, base64 (standard alphabet), or a data: URL.
	Data string `json:"data"`
}

type contextMenuRequest struct {
	interactionRequest
	MessageID string `json:"messageId"`
	// Command is the menu entry; default "Recognize digit".
	Command string `json:"command"`
}

type buttonRequest struct {
	interactionRequest
	MessageID string `json:"messageId"`
	CustomID  string `json:"customId"`
}

// decodeJSON reads a JSON body of at most limit bytes into v, answering
// the error itself when it fails.
func (p *Playground) decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "Send the request as application/json.")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			writeError(w, http.StatusRequestEntityTooLarge, p.tooLarge("", 0))
			return false
		}
		writeError(w, http.StatusBadRequest, "The request body is not valid JSON for this endpoint: "+err.Error()+".")
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "The request body holds more than one JSON value.")
		return false
	}
	return true
}

// actor resolves who acts, and in which language.
func (p *Playground) actor(w http.ResponseWriter, req interactionRequest) (fakediscord.Actor, User, bool) {
	u, ok := p.user(req.User)
	if !ok {
		writeError(w, http.StatusBadRequest, p.unknownUser(req.User))
		return fakediscord.Actor{}, u, false
	}
	loc, err := normalizeLocale(req.Locale)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return fakediscord.Actor{}, u, false
	}
	return fakediscord.Actor{User: u.discordUser(), ChannelID: p.channelID, Permissions: u.permissions(), Locale: loc}, u, true
}

func (p *Playground) postCommand(w http.ResponseWriter, r *http.Request) {
	var req commandRequest
	// base64 grows the image by 4/3; allow the bot's cap plus the rest.
	if !p.decodeJSON(w, r, p.maxUpload/3*4+maxJSONBody, &req) {
		return
	}
	actor, u, ok := p.actor(w, req.interactionRequest)
	if !ok {
		return
	}
	name := strings.TrimPrefix(strings.TrimSpace(req.Command), "/")
	cmd := p.findCommand(name, discordgo.ChatApplicationCommand)
	if cmd == nil {
		if name == "" {
			writeError(w, http.StatusBadRequest, "Say which command to run: \"command\" is empty. Try /help.")
		} else {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("Unknown command /%s. Try /help.", name))
		}
		return
	}
	if cmd.DefaultMemberPermissions != nil && *cmd.DefaultMemberPermissions&*u.permissions() != *cmd.DefaultMemberPermissions {
		writeError(w, http.StatusForbidden, fmt.Sprintf("/%s is for moderators (Manage Server); %s does not have that permission. Switch to a moderator.", cmd.Name, u.Name))
		return
	}
	opts, status, err := p.commandOptions(cmd, req)
	if err != nil {
		writeError(w, status, err.Error())
		return
	}
	it, err := p.srv.RunSlashCommand(fakediscord.CommandOptions{Actor: actor, Name: cmd.Name, Subcommand: req.Subcommand, Options: opts})
	if err != nil {
		writeError(w, http.StatusBadRequest, serverSentence(err))
		return
	}
	p.watch(it, u)
	writeJSON(w, http.StatusAccepted, map[string]string{"interactionId": it.ID()})
}

// findCommand finds a registered command by its name or its Spanish name.
func (p *Playground) findCommand(name string, typ discordgo.ApplicationCommandType) *discordgo.ApplicationCommand {
	for _, c := range p.commands() {
		if c.Type != typ && !(typ == discordgo.ChatApplicationCommand && c.Type == 0) {
			continue
		}
		if strings.EqualFold(c.Name, name) || (spanishPtr(c.NameLocalizations) != "" && strings.EqualFold(spanishPtr(c.NameLocalizations), name)) {
			return c
		}
	}
	return nil
}

// commandOptions converts the page's option values (JSON strings and
// numbers) into what the command's definition asks for.
func (p *Playground) commandOptions(cmd *discordgo.ApplicationCommand, req commandRequest) (map[string]any, int, error) {
	defs := cmd.Options
	hasSub := slices.ContainsFunc(defs, func(o *discordgo.ApplicationCommandOption) bool {
		return o.Type == discordgo.ApplicationCommandOptionSubCommand
	})
	if hasSub {
		var sub *discordgo.ApplicationCommandOption
		var names []string
		for _, o := range defs {
			if o.Type == discordgo.ApplicationCommandOptionSubCommand {
				names = append(names, o.Name)
				if o.Name == req.Subcommand {
					sub = o
				}
			}
		}
		if sub == nil {
			return nil, http.StatusBadRequest, fmt.Errorf("/%s needs a subcommand: one of %s.", cmd.Name, strings.Join(names, ", "))
		}
		defs = sub.Options
	} else if req.Subcommand != "" {
		return nil, http.StatusBadRequest, fmt.Errorf("/%s has no subcommand %q.", cmd.Name, req.Subcommand)
	}
	out := map[string]any{}
	byName := map[string]*discordgo.ApplicationCommandOption{}
	for _, d := range defs {
		byName[d.Name] = d
		if es := spanish(d.NameLocalizations); es != "" {
			byName[es] = d
		}
	}
	for k, v := range req.Options {
		d, ok := byName[k]
		if !ok {
			var known []string
			for _, d := range defs {
				known = append(known, d.Name)
			}
			if len(known) == 0 {
				return nil, http.StatusBadRequest, fmt.Errorf("/%s takes no option; %q is not one.", cmd.Name, k)
			}
			return nil, http.StatusBadRequest, fmt.Errorf("/%s has no option %q; it has %s.", cmd.Name, k, strings.Join(known, ", "))
		}
		if d.Type == discordgo.ApplicationCommandOptionAttachment {
			return nil, http.StatusBadRequest, fmt.Errorf("Send the file of option %q as \"image\", not among the options.", d.Name)
		}
		val, err := p.optionValue(d, v)
		if err != nil {
			return nil, http.StatusBadRequest, fmt.Errorf("Option %q of /%s: %v.", d.Name, cmd.Name, err)
		}
		out[d.Name] = val
	}
	var attachment *discordgo.ApplicationCommandOption
	for _, d := range defs {
		if d.Type == discordgo.ApplicationCommandOptionAttachment {
			attachment = d
		}
	}
	if req.Image != nil {
		if attachment == nil {
			return nil, http.StatusBadRequest, fmt.Errorf("/%s takes no image.", cmd.Name)
		}
		f, status, err := p.decodeImage(req.Image)
		if err != nil {
			return nil, status, err
		}
		out[attachment.Name] = f
	}
	for _, d := range defs {
		if _, given := out[d.Name]; d.Required && !given {
			if d.Type == discordgo.ApplicationCommandOptionAttachment {
				return nil, http.StatusBadRequest, fmt.Errorf("/%s needs an image: draw a digit or attach one.", cmd.Name)
			}
			return nil, http.StatusBadRequest, fmt.Errorf("/%s needs the option %q.", cmd.Name, d.Name)
		}
	}
	return out, 0, nil
}

func (p *Playground) decodeImage(img *imageUpload) (fakediscord.File, int, error) {
	data := img.Data
	if rest, ok := strings.CutPrefix(data, "data:"); ok {
		_, b64, found := strings.Cut(rest, ";base64,")
		if !found {
			return fakediscord.File{}, http.StatusBadRequest, errors.New("The image must be base64: a data: URL with ;base64, or plain base64.")
		}
		data = b64
	}
	if int64(base64.StdEncoding.DecodedLen(len(data))) > p.maxUpload+2 {
		return fakediscord.File{}, http.StatusRequestEntityTooLarge, errors.New(p.tooLarge(img.Name, int64(base64.StdEncoding.DecodedLen(len(data)))))
	}
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return fakediscord.File{}, http.StatusBadRequest, fmt.Errorf("The image is not valid base64: %v.", err)
	}
	if int64(len(b)) > p.maxUpload {
		return fakediscord.File{}, http.StatusRequestEntityTooLarge, errors.New(p.tooLarge(img.Name, int64(len(b))))
	}
	if len(b) == 0 {
		return fakediscord.File{}, http.StatusBadRequest, errors.New("The image is empty.")
	}
	name := img.Name
	if name == "" {
		name = "image.png"
	}
	return fakediscord.File{Name: name, Data: b}, 0, nil
}

// optionValue converts one JSON value (what the page sends: text, a
// number, true/false) to the Go type the fake server takes for the option
// (a choice's English or Spanish name to its value, "@ana" to a user id).
// Whether the value is allowed (a choice, within min..max) is the fake
// server's check, as it is the Discord client's.
func (p *Playground) optionValue(d *discordgo.ApplicationCommandOption, v any) (any, error) {
	switch d.Type {
	case discordgo.ApplicationCommandOptionString:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want text, got %s", jsonKind(v))
		}
		for _, c := range d.Choices {
			if cv, _ := c.Value.(string); cv == s || strings.EqualFold(c.Name, s) || strings.EqualFold(spanish(c.NameLocalizations), s) {
				return cv, nil
			}
		}
		return s, nil
	case discordgo.ApplicationCommandOptionInteger:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case string:
			n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not a whole number", x)
			}
			f = float64(n)
		default:
			return nil, fmt.Errorf("want a whole number, got %s", jsonKind(v))
		}
		if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return nil, fmt.Errorf("%v is not a whole number", f)
		}
		return int64(f), nil
	case discordgo.ApplicationCommandOptionNumber:
		switch x := v.(type) {
		case float64:
			return x, nil
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not a number", x)
			}
			return f, nil
		}
		return nil, fmt.Errorf("want a number, got %s", jsonKind(v))
	case discordgo.ApplicationCommandOptionBoolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			b, err := strconv.ParseBool(x)
			if err != nil {
				return nil, fmt.Errorf("%q is not true or false", x)
			}
			return b, nil
		}
		return nil, fmt.Errorf("want true or false, got %s", jsonKind(v))
	case discordgo.ApplicationCommandOptionUser, discordgo.ApplicationCommandOptionMentionable:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a user, got %s", jsonKind(v))
		}
		s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "<@"), "@"), ">")
		for _, u := range p.users {
			if u.Key == strings.ToLower(s) || u.ID == s || strings.EqualFold(u.Name, s) {
				return u.ID, nil
			}
		}
		if s == p.srv.AppID() {
			return s, nil
		}
		return nil, fmt.Errorf("unknown user %q: choose one of %s", s, strings.Join(p.userKeys(), ", "))
	case discordgo.ApplicationCommandOptionChannel:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a channel, got %s", jsonKind(v))
		}
		s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "<#"), "#"), ">")
		for _, g := range p.srv.Guilds() {
			for _, c := range g.Channels {
				if c.ID == s || c.Name == s {
					return c.ID, nil
				}
			}
		}
		return nil, fmt.Errorf("unknown channel %q", s)
	}
	return nil, fmt.Errorf("the playground cannot fill options of this type (%s)", optionTypeName(d.Type))
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "text"
	case float64:
		return "a number"
	case bool:
		return "true/false"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func (p *Playground) postContextMenu(w http.ResponseWriter, r *http.Request) {
	var req contextMenuRequest
	if !p.decodeJSON(w, r, maxJSONBody, &req) {
		return
	}
	actor, u, ok := p.actor(w, req.interactionRequest)
	if !ok {
		return
	}
	if req.Command == "" {
		req.Command = "Recognize digit"
	}
	cmd := p.findCommand(req.Command, discordgo.MessageApplicationCommand)
	if cmd == nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Unknown message command %q.", req.Command))
		return
	}
	if _, err := p.visibleMessage(req.MessageID, u); err != nil {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	it, err := p.srv.RunMessageCommand(fakediscord.MessageCommandOptions{Actor: actor, Name: cmd.Name, TargetID: req.MessageID})
	if err != nil {
		writeError(w, http.StatusBadRequest, serverSentence(err))
		return
	}
	p.watch(it, u)
	writeJSON(w, http.StatusAccepted, map[string]string{"interactionId": it.ID()})
}

func (p *Playground) postButton(w http.ResponseWriter, r *http.Request) {
	var req buttonRequest
	if !p.decodeJSON(w, r, maxJSONBody, &req) {
		return
	}
	actor, u, ok := p.actor(w, req.interactionRequest)
	if !ok {
		return
	}
	m, err := p.visibleMessage(req.MessageID, u)
	if err != nil {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	var button *discordgo.Button
	for _, c := range m.Components {
		if row, ok := c.(*discordgo.ActionsRow); ok {
			for _, rc := range row.Components {
				if b, ok := rc.(*discordgo.Button); ok && b.CustomID == req.CustomID && req.CustomID != "" {
					button = b
				}
			}
		}
	}
	if button == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Message %s has no button %q.", req.MessageID, req.CustomID))
		return
	}
	if button.Disabled {
		writeError(w, http.StatusConflict, "That button is disabled: it was already used.")
		return
	}
	it, err := p.srv.PressButton(fakediscord.ButtonOptions{Actor: actor, MessageID: req.MessageID, CustomID: req.CustomID})
	if err != nil {
		writeError(w, http.StatusBadRequest, serverSentence(err))
		return
	}
	p.watch(it, u)
	writeJSON(w, http.StatusAccepted, map[string]string{"interactionId": it.ID()})
}

// ---- files ----

// getFile serves an attachment's bytes. Only image types are shown inline;
// anything else (the /export CSV, or whatever a visitor uploads) is a
// download that can never run as a page on this origin.
func (p *Playground) getFile(w http.ResponseWriter, r *http.Request) {
	f, ok := p.srv.File(r.PathValue("id"))
	if !ok || f.Name != r.PathValue("name") {
		writeError(w, http.StatusNotFound, "This file is no longer available.")
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=3600")
	if inlineImageType(f.ContentType) {
		h.Set("Content-Type", f.ContentType)
	} else {
		h.Set("Content-Type", "application/octet-stream")
		if strings.HasPrefix(f.ContentType, "text/csv") {
			h.Set("Content-Type", "text/csv; charset=utf-8")
		}
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	}
	h.Set("Content-Length", strconv.Itoa(len(f.Data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(f.Data)
	}
}
