package fakediscord

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

func TestMessage_UnrenderedTimestampStyles(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, _ := openSession(t, srv, discordgo.IntentsGuilds)
	sent, err := dg.ChannelMessageSendComplex(DefaultChannelID, &discordgo.MessageSend{
		Content: "<t:1700000000> <t:1700000000:R> <t:1700000000:s> <t:1700000000:g>",
		Embeds: []*discordgo.MessageEmbed{{Description: "<t:-5:F> <t:1:x>",
			Fields: []*discordgo.MessageEmbedField{{Name: "when", Value: "<t:2:tt>"}}}},
	}, discordgo.WithContext(ctxT(t)))
	if err != nil {
		t.Fatal(err) // Discord accepts unknown styles: the message is sent
	}
	m, ok := srv.Message(sent.ID)
	if !ok {
		t.Fatal("message not stored")
	}
	want := []string{"<t:1700000000:g>", "<t:1:x>", "<t:2:tt>"}
	if !slices.Equal(m.Unrendered, want) {
		t.Fatalf("Unrendered = %q, want %q", m.Unrendered, want)
	}
	for _, style := range "tTdDfFsSR" {
		if got := unrenderedMarkup("<t:1:" + string(style) + ">"); len(got) != 0 {
			t.Errorf("style %c flagged: %q", style, got)
		}
	}
}

// Editing an embed that shows an uploaded picture: sending back the CDN URL
// Discord returned unlinks the file from the embed, so the picture shows
// twice; sending attachment://name again keeps it hidden in the embed.
func TestMessage_EditKeepsEmbeddedFileOnlyWithAttachmentScheme(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, _ := openSession(t, srv, discordgo.IntentsGuilds)
	ctx := discordgo.WithContext(ctxT(t))
	sent, err := dg.ChannelMessageSendComplex(DefaultChannelID, &discordgo.MessageSend{
		Embeds: []*discordgo.MessageEmbed{{Title: "seen", Thumbnail: &discordgo.MessageEmbedThumbnail{URL: "attachment://seen-1.png"}}},
		Files:  []*discordgo.File{{Name: "seen-1.png", ContentType: "image/png", Reader: bytes.NewReader(pngBytes(t))}},
	}, ctx)
	if err != nil {
		t.Fatal(err)
	}
	cdnURL := sent.Embeds[0].Thumbnail.URL
	if !strings.HasPrefix(cdnURL, "https://cdn.discordapp.com/attachments/") {
		t.Fatalf("thumbnail not resolved to the CDN: %q", cdnURL)
	}
	check := func(step string, wantTwice bool) {
		t.Helper()
		m, _ := srv.Message(sent.ID)
		if got := len(m.ShownTwice) > 0; got != wantTwice {
			t.Fatalf("%s: ShownTwice = %q, want shown twice = %v", step, m.ShownTwice, wantTwice)
		}
		if _, ok := m.File("seen-1.png"); !ok {
			t.Fatalf("%s: the picture is gone", step)
		}
	}
	check("sent", false)

	edit := func(thumb string) {
		t.Helper()
		embeds := []*discordgo.MessageEmbed{{Title: "evaluated", Thumbnail: &discordgo.MessageEmbedThumbnail{URL: thumb}}}
		if _, err := dg.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: sent.ID, Channel: DefaultChannelID, Embeds: &embeds}, ctx); err != nil {
			t.Fatal(err)
		}
	}
	edit("attachment://seen-1.png")
	check("edited with attachment://", false)
	edit(cdnURL)
	check("edited with the CDN URL", true)
	edit("attachment://seen-1.png")
	check("edited back to attachment://", false)
}
