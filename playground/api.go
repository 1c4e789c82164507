package playground

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
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
