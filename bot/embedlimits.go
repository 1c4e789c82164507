package bot

import (
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Discord's embed limits, in characters (code points), counted after
// trimming leading and trailing whitespace; a message over any of them is
// refused with 400 Bad Request. From discord-api-docs,
// docs/resources/message.md, "Embed Limits".
const (
	embedTitleMax       = 256
	embedDescriptionMax = 4096
	embedFieldsMax      = 25
	embedFieldNameMax   = 256
	embedFieldValueMax  = 1024
	embedFooterMax      = 2048
	embedAuthorMax      = 256
	embedsTotalMax      = 6000 // all of the above, across every embed of a message
)

// shownFileNameMax is how much of an uploaded file's name an answer
// shows: enough to tell files apart, short enough for one line.
const shownFileNameMax = 100

// fitEmbeds clips every text of embeds to Discord's limits, in place, so
// that user text (file names, user names) can never get an answer refused.
// Texts are clipped where they are over their own limit; then, while the
// message is over the total, the longest text is shortened.
func fitEmbeds(embeds []*discordgo.MessageEmbed) []*discordgo.MessageEmbed {
	var texts []*string
	var limits []int
	add := func(s *string, max int) {
		*s = strings.TrimSpace(*s)
		*s = clipRunes(*s, max)
		texts = append(texts, s)
		limits = append(limits, max)
	}
	for _, e := range embeds {
		if e == nil {
			continue
		}
		add(&e.Title, embedTitleMax)
		add(&e.Description, embedDescriptionMax)
		if len(e.Fields) > embedFieldsMax {
			e.Fields = e.Fields[:embedFieldsMax]
		}
		for _, f := range e.Fields {
			if f != nil {
				add(&f.Name, embedFieldNameMax)
				add(&f.Value, embedFieldValueMax)
			}
		}
		if e.Footer != nil {
			add(&e.Footer.Text, embedFooterMax)
		}
		if e.Author != nil {
			add(&e.Author.Name, embedAuthorMax)
		}
	}
	total := 0
	for _, s := range texts {
		total += utf8.RuneCountInString(*s)
	}
	for total > embedsTotalMax {
		longest := 0
		for i, s := range texts {
			if utf8.RuneCountInString(*s) > utf8.RuneCountInString(*texts[longest]) {
				longest = i
			}
		}
		n := utf8.RuneCountInString(*texts[longest])
		keep := max(n-(total-embedsTotalMax), 1)
		*texts[longest] = clipRunes(*texts[longest], keep)
		total -= n - utf8.RuneCountInString(*texts[longest])
	}
	return embeds
}

// clipRunes cuts s to at most n code points, marking the cut with "…".
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
