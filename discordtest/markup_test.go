package discordtest

import (
	"slices"
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
