package fakediscord

import (
	"regexp"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// timestampMarkup matches Discord's timestamp markup <t:unix> and
// <t:unix:style>.
var timestampMarkup = regexp.MustCompile(`<t:(-?\d+)(?::([^>]*))?>`)

// validTimestampStyle reports whether Discord renders a timestamp style.
// The styles are those of "Timestamp Styles" in
// https://discord.com/developers/docs/reference#message-formatting-timestamp-styles
// (t T d D f F s S R, f the default when none is given). Discord does not
// refuse a message with any other style: it shows the markup as raw text,
// which is why the server reports it (Message.Unrendered) instead of
// answering 400.
func validTimestampStyle(style string) bool {
	return style == "" || (len(style) == 1 && strings.Contains("tTdDfFsSR", style))
}

// unrenderedMarkup returns the markup in text that Discord would show raw
// instead of rendering.
func unrenderedMarkup(text string) []string {
	var out []string
	for _, m := range timestampMarkup.FindAllStringSubmatch(text, -1) {
		if !validTimestampStyle(m[2]) {
			out = append(out, m[0])
		}
	}
	return out
}

// messageUnrendered collects unrendered markup from a message's content
// and from the embed fields where Discord renders markdown.
func messageUnrendered(m *discordgo.Message) []string {
	out := unrenderedMarkup(m.Content)
	for _, e := range m.Embeds {
		if e == nil {
			continue
		}
		out = append(out, unrenderedMarkup(e.Title)...)
		out = append(out, unrenderedMarkup(e.Description)...)
		for _, f := range e.Fields {
			if f != nil {
				out = append(out, unrenderedMarkup(f.Name)...)
				out = append(out, unrenderedMarkup(f.Value)...)
			}
		}
		if e.Footer != nil {
			out = append(out, unrenderedMarkup(e.Footer.Text)...)
		}
	}
	return out
}
