package fakediscord

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Modal rules, from Discord's documentation:
//
//   - https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-modal:
//     custom_id 1-100 characters, title at most 45, between 1 and 5
//     components; callback type 9 (MODAL) is "not available for
//     MODAL_SUBMIT and PING interactions", and like every callback it is
//     the interaction's one initial response, within 3 s.
//   - https://discord.com/developers/docs/components/reference#text-input:
//     custom_id 1-100, style 1 (short) or 2 (paragraph), min_length 0-4000,
//     max_length 1-4000, required defaults to true, value at most 4000
//     characters, placeholder at most 100. In the classic form the server
//     accepts (an action row holding one text input; the Label component
//     that supersedes it is not supported here), the input's own label is
//     at most 45 characters.
//   - The modal submit carries data.custom_id (the modal's) and
//     data.components: one action row per input with type, custom_id and
//     the value typed.
const (
	maxModalTitle       = 45
	maxModalRows        = 5
	maxTextInputLength  = 4000
	maxTextInputHolder  = 100
	textInputShort      = 1
	textInputParagraph  = 2
	defaultTextInputMax = maxTextInputLength
)

// textInput is a modal text input as sent by the bot.
type textInput struct {
	Type        int     `json:"type"`
	CustomID    *string `json:"custom_id"`
	Label       *string `json:"label"`
	Style       *int    `json:"style"`
	MinLength   *int    `json:"min_length"`
	MaxLength   *int    `json:"max_length"`
	Required    *bool   `json:"required"`
	Value       *string `json:"value"`
	Placeholder *string `json:"placeholder"`
}

type modalRow struct {
	Type       int         `json:"type"`
	Components []textInput `json:"components"`
}

// validateModalInputs adds what validateComponents does not check for a
// modal: at least one row, exactly one text input a row, and the text
// input's style, lengths, value and placeholder.
func validateModalInputs(fe *formErrors, raw json.RawMessage) {
	var rows []modalRow
	if len(raw) == 0 || string(raw) == "null" || json.Unmarshal(raw, &rows) != nil {
		fe.add([]any{"data", "components"}, "BASE_TYPE_REQUIRED", "This field is required")
		return
	}
	if len(rows) < 1 || len(rows) > maxModalRows {
		fe.add([]any{"data", "components"}, "BASE_TYPE_BAD_LENGTH", fmt.Sprintf("Must be between 1 and %d in length.", maxModalRows))
	}
	for i, row := range rows {
		if row.Type != compActionRow {
			continue // validateComponents reports it
		}
		p := []any{"data", "components", i, "components"}
		if len(row.Components) != 1 {
			fe.add(p, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 1 in length.")
		}
		for j, in := range row.Components {
			if in.Type != compTextInput {
				continue
			}
			cp := at(p, j)
			switch {
			case in.Style == nil:
				fe.add(at(cp, "style"), "BASE_TYPE_REQUIRED", "This field is required")
			case *in.Style != textInputShort && *in.Style != textInputParagraph:
				fe.add(at(cp, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2}.")
			}
			if in.MinLength != nil && (*in.MinLength < 0 || *in.MinLength > maxTextInputLength) {
				fe.add(at(cp, "min_length"), "NUMBER_TYPE_MAX", fmt.Sprintf("int value should be between 0 and %d.", maxTextInputLength))
			}
			if in.MaxLength != nil && (*in.MaxLength < 1 || *in.MaxLength > maxTextInputLength) {
				fe.add(at(cp, "max_length"), "NUMBER_TYPE_MAX", fmt.Sprintf("int value should be between 1 and %d.", maxTextInputLength))
			}
			if in.MinLength != nil && in.MaxLength != nil && *in.MinLength > *in.MaxLength {
				fe.add(at(cp, "min_length"), "TEXT_INPUT_LENGTH_INVALID", "min_length must be less than or equal to max_length.")
			}
			if in.Value != nil {
				fe.maxLen(at(cp, "value"), *in.Value, maxTextInputLength)
			}
			if in.Placeholder != nil {
				fe.maxLen(at(cp, "placeholder"), *in.Placeholder, maxTextInputHolder)
			}
		}
	}
}

// checkTyped is what Discord's client enforces before it lets a user
// submit a text input: a required input is not empty, a filled one holds
// min_length..max_length characters, and a short input is one line.
func checkTyped(in textInput, value string) error {
	id := ""
	if in.CustomID != nil {
		id = *in.CustomID
	}
	n := utf8.RuneCountInString(value)
	required := in.Required == nil || *in.Required
	if n == 0 {
		if required {
			return fmt.Errorf("fakediscord: required modal input %q has no value", id)
		}
		return nil
	}
	minLen, maxLen := 0, defaultTextInputMax
	if in.MinLength != nil {
		minLen = *in.MinLength
	}
	if in.MaxLength != nil {
		maxLen = *in.MaxLength
	}
	if n < minLen || n > maxLen {
		return fmt.Errorf("fakediscord: modal input %q takes %d to %d characters, not %d (the client does not let it be submitted)", id, minLen, maxLen, n)
	}
	if in.Style != nil && *in.Style == textInputShort && strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("fakediscord: modal input %q is one line (style short)", id)
	}
	return nil
}

// Modal describes a modal the bot opened, as the user sees it.
type Modal struct {
	CustomID string
	Title    string
	Inputs   []ModalInput
}

// ModalInput is one text input of a modal.
type ModalInput struct {
	CustomID    string
	Label       string
	Style       int // 1 short, 2 paragraph
	MinLength   int
	MaxLength   int // 4000 when the bot set none
	Required    bool
	Value       string // prefilled
	Placeholder string
}

// parseModal reads the modal stored for a type 9 response.
func parseModal(raw json.RawMessage) (Modal, error) {
	var m struct {
		CustomID   string     `json:"custom_id"`
		Title      string     `json:"title"`
		Components []modalRow `json:"components"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return Modal{}, fmt.Errorf("fakediscord: stored modal: %w", err)
	}
	out := Modal{CustomID: m.CustomID, Title: m.Title}
	for _, row := range m.Components {
		for _, in := range row.Components {
			mi := ModalInput{Style: textInputShort, MaxLength: defaultTextInputMax, Required: in.Required == nil || *in.Required}
			if in.CustomID != nil {
				mi.CustomID = *in.CustomID
			}
			if in.Label != nil {
				mi.Label = *in.Label
			}
			if in.Style != nil {
				mi.Style = *in.Style
			}
			if in.MinLength != nil {
				mi.MinLength = *in.MinLength
			}
			if in.MaxLength != nil {
				mi.MaxLength = *in.MaxLength
			}
			if in.Value != nil {
				mi.Value = *in.Value
			}
			if in.Placeholder != nil {
				mi.Placeholder = *in.Placeholder
			}
			out.Inputs = append(out.Inputs, mi)
		}
	}
	return out, nil
}

// Modal returns the modal the interaction was answered with, and false
// when its response was not a modal (yet).
func (i *Interaction) Modal() (Modal, bool) {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	it := i.state()
	if !it.responded || it.respType != respModal {
		return Modal{}, false
	}
	m, err := parseModal(it.modal)
	return m, err == nil
}
