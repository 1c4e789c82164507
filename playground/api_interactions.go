package playground

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot/fakediscord"
)

// The page's interactions: slash commands (options converted from the
// page's text), the context menu and button presses, each sent to the fake
// Discord as the member who made it.

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
	for _, b := range m.Buttons() {
		if b.CustomID == req.CustomID && req.CustomID != "" {
			button = b
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
