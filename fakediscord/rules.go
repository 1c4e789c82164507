package fakediscord

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// APIError is a Discord error answer: {"code":N,"message":"...","errors":{...}}.
type APIError struct {
	Status  int            `json:"-"`
	Code    int            `json:"code"`
	Message string         `json:"message"`
	Errors  map[string]any `json:"errors,omitempty"`
}

func (e *APIError) Error() string {
	return fmt.Sprintf("HTTP %d: %d %s", e.Status, e.Code, e.Message)
}

// Discord JSON error codes used by the server.
const (
	CodeUnknownChannel      = 10003
	CodeUnknownGuild        = 10004
	CodeUnknownMessage      = 10008
	CodeUnknownUser         = 10013
	CodeUnknownWebhook      = 10015
	CodeUnknownApplication  = 10002
	CodeUnknownCommand      = 10063
	CodeUnknownInteraction  = 10062
	CodeCannotEditOthers    = 50005
	CodeEmptyMessage        = 50006
	CodeMissingAccess       = 50001
	CodeMissingPermissions  = 50013
	CodeInvalidFormBody     = 50035
	CodeAlreadyAcknowledged = 40060
	CodeEntityTooLarge      = 40005
	CodeCannotExecuteOnDM   = 50003
	CodeInvalidWebhookToken = 50027
)

func apiErr(status, code int, msg string) *APIError {
	return &APIError{Status: status, Code: code, Message: msg}
}

// formErrors builds Discord's nested "errors" object for code 50035.
type formErrors struct{ root map[string]any }

func (f *formErrors) add(path []any, code, message string) {
	if f.root == nil {
		f.root = map[string]any{}
	}
	node := f.root
	for _, p := range path {
		key := fmt.Sprint(p)
		next, ok := node[key].(map[string]any)
		if !ok {
			next = map[string]any{}
			node[key] = next
		}
		node = next
	}
	list, _ := node["_errors"].([]map[string]string)
	node["_errors"] = append(list, map[string]string{"code": code, "message": message})
}

func (f *formErrors) err() *APIError {
	if f.root == nil {
		return nil
	}
	return &APIError{Status: http.StatusBadRequest, Code: CodeInvalidFormBody, Message: "Invalid Form Body", Errors: f.root}
}

func (f *formErrors) maxLen(path []any, s string, max int) {
	if utf8.RuneCountInString(s) > max {
		f.add(path, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", max))
	}
}

func (f *formErrors) badLen(path []any, s string, min, max int) {
	if n := utf8.RuneCountInString(s); n < min || n > max {
		f.add(path, "BASE_TYPE_BAD_LENGTH", fmt.Sprintf("Must be between %d and %d in length.", min, max))
	}
}

func at(path []any, more ...any) []any {
	out := make([]any, 0, len(path)+len(more))
	return append(append(out, path...), more...)
}

// Message limits (https://discord.com/developers/docs/resources/message#create-message).
// The embed limits are discord-api-docs' docs/resources/message.md, "Embed
// Limits": characters, counted after trimming leading and trailing
// whitespace; over any of them the message is refused with 400.
const (
	maxContent       = 2000
	maxEmbeds        = 10
	maxEmbedTitle    = 256
	maxEmbedDesc     = 4096
	maxEmbedFields   = 25
	maxFieldName     = 256
	maxFieldValue    = 1024
	maxFooterText    = 2048
	maxAuthorName    = 256
	maxEmbedTotal    = 6000
	maxActionRows    = 5
	maxRowButtons    = 5
	maxCustomID      = 100
	maxButtonLabel   = 80
	maxFiles         = 10
	maxSelectOptions = 25
)

func validateContent(fe *formErrors, content string) {
	fe.maxLen([]any{"content"}, content, maxContent)
}

func validateEmbeds(fe *formErrors, embeds []*discordgo.MessageEmbed) {
	if len(embeds) > maxEmbeds {
		fe.add([]any{"embeds"}, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxEmbeds))
	}
	total := 0
	count := func(s string) int { n := utf8.RuneCountInString(strings.TrimSpace(s)); total += n; return n }
	for i, e := range embeds {
		if e == nil {
			fe.add([]any{"embeds", i}, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
			continue
		}
		p := []any{"embeds", i}
		if count(e.Title) > maxEmbedTitle {
			fe.add(at(p, "title"), "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxEmbedTitle))
		}
		if count(e.Description) > maxEmbedDesc {
			fe.add(at(p, "description"), "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxEmbedDesc))
		}
		if len(e.Fields) > maxEmbedFields {
			fe.add(at(p, "fields"), "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxEmbedFields))
		}
		for j, fl := range e.Fields {
			if fl == nil {
				continue
			}
			if n := count(fl.Name); n > maxFieldName || n == 0 {
				fe.badLen(at(p, "fields", j, "name"), fl.Name, 1, maxFieldName)
			}
			if n := count(fl.Value); n > maxFieldValue || n == 0 {
				fe.badLen(at(p, "fields", j, "value"), fl.Value, 1, maxFieldValue)
			}
		}
		if e.Footer != nil && count(e.Footer.Text) > maxFooterText {
			fe.add(at(p, "footer", "text"), "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxFooterText))
		}
		if e.Author != nil && count(e.Author.Name) > maxAuthorName {
			fe.add(at(p, "author", "name"), "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxAuthorName))
		}
	}
	if total > maxEmbedTotal {
		fe.add([]any{"embeds"}, "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
	}
}

// component is the union of the component fields the server checks.
type component struct {
	Type        int             `json:"type"`
	CustomID    *string         `json:"custom_id"`
	Label       *string         `json:"label"`
	Style       int             `json:"style"`
	URL         *string         `json:"url"`
	SkuID       string          `json:"sku_id"`
	Disabled    bool            `json:"disabled"`
	Emoji       json.RawMessage `json:"emoji"`
	Components  []component     `json:"components"`
	Options     []selectOption  `json:"options"`
	Placeholder *string         `json:"placeholder"`
	MinValues   *int            `json:"min_values"`
	MaxValues   *int            `json:"max_values"`
	Value       *string         `json:"value"`
	Required    *bool           `json:"required"`
}

type selectOption struct {
	Label       string `json:"label"`
	Value       string `json:"value"`
	Description string `json:"description"`
}

const (
	compActionRow  = 1
	compButton     = 2
	compStringSel  = 3
	compTextInput  = 4
	compUserSel    = 5
	compRoleSel    = 6
	compMentionSel = 7
	compChannelSel = 8
)

func isSelect(t int) bool { return t == compStringSel || (t >= compUserSel && t <= compChannelSel) }

// validateComponents checks message components the way Discord does for
// classic (non components-v2) messages; modal=true checks a modal's rows.
func validateComponents(fe *formErrors, raw json.RawMessage, modal bool) []component {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var rows []component
	if err := json.Unmarshal(raw, &rows); err != nil {
		fe.add([]any{"components"}, "BASE_TYPE_ARRAY", "Must be an array of components: "+err.Error())
		return nil
	}
	if len(rows) > maxActionRows {
		fe.add([]any{"components"}, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxActionRows))
	}
	seen := map[string]bool{}
	for i, row := range rows {
		p := []any{"components", i}
		if row.Type != compActionRow {
			fe.add(at(p, "type"), "BASE_TYPE_CHOICES", "Value of field \"type\" must be one of (1,).")
			continue
		}
		if n := len(row.Components); n < 1 || n > maxRowButtons {
			fe.add(at(p, "components"), "BASE_TYPE_BAD_LENGTH", fmt.Sprintf("Must be between 1 and %d in length.", maxRowButtons))
		}
		for j, c := range row.Components {
			cp := at(p, "components", j)
			switch {
			case c.Type == compButton && !modal:
				validateButton(fe, cp, c)
			case isSelect(c.Type) && !modal:
				if len(row.Components) > 1 {
					fe.add(cp, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width")
				}
				validateSelect(fe, cp, c)
			case c.Type == compTextInput && modal:
				if c.CustomID == nil {
					fe.add(at(cp, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
				}
				if c.Label == nil {
					fe.add(at(cp, "label"), "BASE_TYPE_REQUIRED", "This field is required")
				} else {
					fe.badLen(at(cp, "label"), *c.Label, 1, 45)
				}
			default:
				fe.add(at(cp, "type"), "COMPONENT_TYPE_INVALID", fmt.Sprintf("Component type %d is not allowed here", c.Type))
			}
			if c.CustomID != nil {
				fe.badLen(at(cp, "custom_id"), *c.CustomID, 1, maxCustomID)
				if seen[*c.CustomID] {
					fe.add(at(cp, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
				}
				seen[*c.CustomID] = true
			}
		}
	}
	return rows
}

func validateButton(fe *formErrors, p []any, c component) {
	switch c.Style {
	case 1, 2, 3, 4:
		if c.CustomID == nil {
			fe.add(at(p, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
		}
		if c.URL != nil {
			fe.add(at(p, "url"), "BUTTON_COMPONENT_URL_NOT_ALLOWED", "A URL is only allowed on link buttons")
		}
	case 5:
		if c.URL == nil || *c.URL == "" {
			fe.add(at(p, "url"), "BASE_TYPE_REQUIRED", "This field is required")
		} else {
			fe.maxLen(at(p, "url"), *c.URL, 512)
		}
		if c.CustomID != nil {
			fe.add(at(p, "custom_id"), "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED", "A custom id is not allowed on link buttons")
		}
	case 6:
		if c.SkuID == "" {
			fe.add(at(p, "sku_id"), "BASE_TYPE_REQUIRED", "This field is required")
		}
	default:
		fe.add(at(p, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4, 5, 6}.")
	}
	if c.Label != nil {
		fe.maxLen(at(p, "label"), *c.Label, maxButtonLabel)
	}
	if c.Style != 6 && (c.Label == nil || *c.Label == "") && (len(c.Emoji) == 0 || string(c.Emoji) == "null") {
		fe.add(at(p, "label"), "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED", "A button must have a label or an emoji")
	}
}

func validateSelect(fe *formErrors, p []any, c component) {
	if c.CustomID == nil {
		fe.add(at(p, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
	}
	if c.Placeholder != nil {
		fe.maxLen(at(p, "placeholder"), *c.Placeholder, 150)
	}
	if c.Type == compStringSel {
		if n := len(c.Options); n < 1 || n > maxSelectOptions {
			fe.add(at(p, "options"), "BASE_TYPE_BAD_LENGTH", fmt.Sprintf("Must be between 1 and %d in length.", maxSelectOptions))
		}
		for k, o := range c.Options {
			fe.badLen(at(p, "options", k, "label"), o.Label, 1, 100)
			fe.badLen(at(p, "options", k, "value"), o.Value, 1, 100)
		}
	}
	if c.MinValues != nil && (*c.MinValues < 0 || *c.MinValues > 25) {
		fe.add(at(p, "min_values"), "NUMBER_TYPE_MAX", "min_values must be between 0 and 25")
	}
	if c.MaxValues != nil && (*c.MaxValues < 1 || *c.MaxValues > 25) {
		fe.add(at(p, "max_values"), "NUMBER_TYPE_MAX", "max_values must be between 1 and 25")
	}
}

// findComponent returns the component with customID in a message's
// components (nil if none).
func findComponent(raw json.RawMessage, customID string) *component {
	var rows []component
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil
	}
	var walk func([]component) *component
	walk = func(cs []component) *component {
		for i := range cs {
			if cs[i].CustomID != nil && *cs[i].CustomID == customID {
				return &cs[i]
			}
			if f := walk(cs[i].Components); f != nil {
				return f
			}
		}
		return nil
	}
	return walk(rows)
}

// Application command rules (https://discord.com/developers/docs/interactions/application-commands).
var chatInputName = regexp.MustCompile(`^[-_'\p{L}\p{N}\p{Devanagari}\p{Thai}]{1,32}$`)

const (
	cmdChatInput = 1
	cmdUser      = 2
	cmdMessage   = 3

	optSubCommand      = 1
	optSubCommandGroup = 2
	optString          = 3
	optInteger         = 4
	optBoolean         = 5
	optUser            = 6
	optChannel         = 7
	optRole            = 8
	optMentionable     = 9
	optNumber          = 10
	optAttachment      = 11
)

func validCommandName(typ int, name string) bool {
	if typ == cmdChatInput {
		if !chatInputName.MatchString(name) {
			return false
		}
		for _, r := range name {
			if lower := []rune(strings.ToLower(string(r))); len(lower) == 1 && lower[0] != r {
				return false // must be lowercase where a lowercase form exists
			}
		}
		return true
	}
	n := utf8.RuneCountInString(name)
	return n >= 1 && n <= 32
}

func validateCommands(cmds []*wireCommand) *APIError {
	var fe formErrors
	type key struct {
		typ  int
		name string
	}
	seen := map[key]bool{}
	counts := map[int]int{}
	for i, c := range cmds {
		p := []any{strconv.Itoa(i)}
		if c == nil {
			fe.add(p, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
			continue
		}
		if c.Type == 0 {
			c.Type = cmdChatInput
		}
		if c.Type < cmdChatInput || c.Type > 4 {
			fe.add(at(p, "type"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4}.")
			continue
		}
		counts[c.Type]++
		if !validCommandName(c.Type, c.Name) {
			fe.add(at(p, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
		}
		k := key{c.Type, c.Name}
		if seen[k] {
			fe.add(at(p, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")
		}
		seen[k] = true
		switch c.Type {
		case cmdChatInput:
			fe.badLen(at(p, "description"), c.Description, 1, 100)
		default:
			if c.Description != "" {
				fe.add(at(p, "description"), "APPLICATION_COMMAND_DESCRIPTION_NOT_ALLOWED", "Description must be empty for context menu commands")
			}
			if len(c.Options) > 0 {
				fe.add(at(p, "options"), "APPLICATION_COMMAND_OPTIONS_NOT_ALLOWED", "Context menu commands cannot have options")
			}
		}
		validateOptions(&fe, at(p, "options"), c.Options, 0)
		validateCommandLocalizations(&fe, p, c)
	}
	if counts[cmdChatInput] > 100 {
		fe.add(nil, "APPLICATION_COMMANDS_TOO_MANY", "Maximum number of application commands reached (100)")
	}
	if counts[cmdUser] > 5 || counts[cmdMessage] > 5 {
		fe.add(nil, "APPLICATION_COMMANDS_TOO_MANY", "Maximum number of context menu commands reached (5)")
	}
	return fe.err()
}

func validateOptions(fe *formErrors, p []any, opts []*wireCommandOption, depth int) {
	if len(opts) > 25 {
		fe.add(p, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
	}
	seen := map[string]bool{}
	optionalSeen := false
	for i, o := range opts {
		op := at(p, i)
		if o == nil {
			continue
		}
		if o.Type < optSubCommand || o.Type > optAttachment {
			fe.add(at(op, "type"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}.")
		}
		if !validCommandName(cmdChatInput, o.Name) {
			fe.add(at(op, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
		}
		if seen[o.Name] {
			fe.add(at(op, "name"), "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option names must be unique")
		}
		seen[o.Name] = true
		fe.badLen(at(op, "description"), o.Description, 1, 100)
		if o.Type == optSubCommand || o.Type == optSubCommandGroup {
			if depth >= 2 || (o.Type == optSubCommandGroup && depth >= 1) {
				fe.add(at(op, "type"), "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Subcommands cannot be nested this deep")
			}
			validateOptions(fe, at(op, "options"), o.Options, depth+1)
			continue
		}
		if o.Required && optionalSeen {
			fe.add(at(op, "required"), "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options")
		}
		if !o.Required {
			optionalSeen = true
		}
		if len(o.Choices) > 25 {
			fe.add(at(op, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
		}
		if len(o.Choices) > 0 && o.Type != optString && o.Type != optInteger && o.Type != optNumber {
			fe.add(at(op, "choices"), "APPLICATION_COMMAND_OPTION_CHOICES_NOT_ALLOWED", "Choices are only allowed on string, integer and number options")
		}
	}
}
