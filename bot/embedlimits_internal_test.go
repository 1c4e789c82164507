package bot

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// TestFitEmbeds_KeepsEveryTextWithinDiscordsLimits: each text within its
// own limit, the message within the 6000-character total, short texts
// untouched.
func TestFitEmbeds_KeepsEveryTextWithinDiscordsLimits(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 5000) // two bytes a character: limits count characters
	embeds := []*discordgo.MessageEmbed{
		{Title: long, Description: long, Footer: &discordgo.MessageEmbedFooter{Text: long}, Author: &discordgo.MessageEmbedAuthor{Name: long},
			Fields: []*discordgo.MessageEmbedField{{Name: long, Value: long}, {Name: "Confidence", Value: "97%"}}},
		{Title: "  second  ", Description: long},
	}
	fitEmbeds(embeds)
	n := utf8.RuneCountInString
	e := embeds[0]
	for name, c := range map[string]struct{ got, max int }{
		"title": {n(e.Title), 256}, "description": {n(e.Description), 4096}, "footer": {n(e.Footer.Text), 2048},
		"author": {n(e.Author.Name), 256}, "field name": {n(e.Fields[0].Name), 256}, "field value": {n(e.Fields[0].Value), 1024},
	} {
		if c.got > c.max || c.got == 0 {
			t.Errorf("%s: %d characters, want 1..%d", name, c.got, c.max)
		}
	}
	total := 0
	for _, e := range embeds {
		total += n(e.Title) + n(e.Description)
		for _, f := range e.Fields {
			total += n(f.Name) + n(f.Value)
		}
		if e.Footer != nil {
			total += n(e.Footer.Text)
		}
		if e.Author != nil {
			total += n(e.Author.Name)
		}
	}
	if total > 6000 {
		t.Errorf("%d characters in all, want at most 6000", total)
	}
	if e.Fields[1].Name != "Confidence" || e.Fields[1].Value != "97%" || embeds[1].Title != "second" {
		t.Errorf("short texts changed: %q %q %q", e.Fields[1].Name, e.Fields[1].Value, embeds[1].Title)
	}
}
