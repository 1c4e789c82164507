package fakediscord_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot/fakediscord"
)

// A bot session talks to the server; a scripted user posts an image
// mentioning the bot, and the bot's reply is read back from the server.
func Example() {
	srv, err := fakediscord.NewServer(fakediscord.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	dg, _ := discordgo.New("Bot " + srv.Token())
	dg.Identify.Intents = discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages
	srv.Configure(dg) // REST and CDN go to srv; GET /gateway answers srv's websocket
	dg.AddHandler(func(s *discordgo.Session, m *discordgo.MessageCreate) {
		if m.Author.ID == s.State.User.ID || len(m.Attachments) == 0 {
			return
		}
		_, _ = s.ChannelMessageSendReply(m.ChannelID, "got "+m.Attachments[0].Filename, m.Reference())
	})
	if err := dg.Open(); err != nil {
		log.Fatal(err)
	}
	defer func() { dg.ShouldReconnectOnError = false; _ = dg.Close() }()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	posted, err := srv.PostMessage(fakediscord.MessageOptions{
		Content:     "what is this?",
		MentionBot:  true, // without the Message Content intent, only mentions carry attachments
		Attachments: []fakediscord.File{{Name: "digit.png", Data: []byte("\x89PNG\r\n\x1a\n")}},
	})
	if err != nil {
		log.Fatal(err)
	}
	reply, err := srv.WaitMessage(ctx, func(m *fakediscord.Message) bool {
		return m.MessageReference != nil && m.MessageReference.MessageID == posted.ID
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(reply.Content, strings.HasPrefix(posted.Attachments[0].URL, "https://cdn.discordapp.com/"))
	// Output: got digit.png true
}
