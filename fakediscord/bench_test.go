package fakediscord

import (
	"context"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// BenchmarkRoundTrip_MessageToReply measures one scripted user message
// through the gateway to a raw discordgo handler and its REST reply back
// into the server.
func BenchmarkRoundTrip_MessageToReply(b *testing.B) {
	srv := New(b, Options{})
	dg, err := srv.NewSession(discordgo.IntentsAllWithoutPrivileged)
	if err != nil {
		b.Fatal(err)
	}
	dg.AddHandler(func(s *discordgo.Session, m *discordgo.MessageCreate) {
		if m.Author.ID != s.State.User.ID {
			_, _ = s.ChannelMessageSendReply(m.ChannelID, "ok", m.Reference())
		}
	})
	if err := dg.Open(); err != nil {
		b.Fatal(err)
	}
	defer closeSession(dg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		posted, err := srv.PostMessage(MessageOptions{DM: true, Content: "x"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := srv.WaitMessage(ctx, func(m *Message) bool {
			return m.MessageReference != nil && m.MessageReference.MessageID == posted.ID
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer() // closing a discordgo session sleeps 1 s
}

// BenchmarkInteraction_RespondAndWait measures a scripted slash command
// answered with a type 4 response.
func BenchmarkInteraction_RespondAndWait(b *testing.B) {
	srv := New(b, Options{})
	dg, _ := srv.NewSession(0)
	if _, err := dg.ApplicationCommandBulkOverwrite(srv.AppID(), "", testCommands); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		it, err := srv.RunSlashCommand(CommandOptions{Name: "stats"})
		if err != nil {
			b.Fatal(err)
		}
		if err := dg.InteractionRespond(it.Payload, &discordgo.InteractionResponse{Type: 4, Data: &discordgo.InteractionResponseData{Content: "x"}}); err != nil {
			b.Fatal(err)
		}
		if _, err := it.WaitResponse(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
