package fakediscord

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

func TestSubscribe_StreamsMessagesAndInteractions(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, _ := srv.NewSession(0)
	registerCommands(t, srv, dg)
	events, cancel := srv.Subscribe()
	defer cancel()

	posted, _ := srv.PostMessage(MessageOptions{Content: "hi"})
	it, _ := srv.RunSlashCommand(CommandOptions{Name: "stats"})
	if err := dg.InteractionRespond(it.Payload, &discordgo.InteractionResponse{Type: 4,
		Data: &discordgo.InteractionResponseData{Content: "secret", Flags: discordgo.MessageFlagsEphemeral}}); err != nil {
		t.Fatal(err)
	}
	sent, _ := dg.ChannelMessageSend(DefaultChannelID, "public")
	_, _ = dg.ChannelMessageEdit(DefaultChannelID, sent.ID, "public, edited")
	_ = dg.ChannelMessageDelete(DefaultChannelID, sent.ID)

	want := []EventKind{EventMessageCreate, EventInteractionCreate, EventMessageCreate, EventInteractionResponse,
		EventMessageCreate, EventMessageUpdate, EventMessageDelete}
	var got []Event
	timeout := time.After(5 * time.Second)
	for len(got) < len(want) {
		select {
		case e := <-events:
			got = append(got, e)
		case <-timeout:
			t.Fatalf("got %d events, want %d: %+v", len(got), len(want), got)
		}
	}
	for i, k := range want {
		if got[i].Kind != k {
			t.Fatalf("event %d = %s, want %s (all: %+v)", i, got[i].Kind, k, got)
		}
	}
	if got[0].MessageID != posted.ID || got[0].Message.Content != "hi" {
		t.Fatalf("first event %+v", got[0])
	}
	if got[2].VisibleTo != DefaultUserID || got[2].Message.Content != "secret" || got[2].InteractionID != it.ID() {
		t.Fatalf("ephemeral event %+v", got[2])
	}
	if got[5].Message.Content != "public, edited" || !got[6].Message.Deleted {
		t.Fatalf("edit/delete events %+v %+v", got[5].Message, got[6].Message)
	}
	cancel()
	// After cancel the channel is closed (drained).
	deadline := time.After(2 * time.Second)
	for {
		select {
		case _, ok := <-events:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("channel not closed after cancel")
		}
	}
}

// Many users and a bot answering concurrently: the race detector and the
// final counts check the server's locking.
func TestServer_ConcurrentUsersAndBot(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, rec := openSession(t, srv, discordgo.IntentsAllWithoutPrivileged)
	dg.AddHandler(func(s *discordgo.Session, m *discordgo.MessageCreate) {
		if m.Author.ID == s.State.User.ID {
			return
		}
		_, _ = s.ChannelMessageSendComplex(m.ChannelID, &discordgo.MessageSend{Content: "ok",
			Components: []discordgo.MessageComponent{buttonsRow("yes")}, Reference: m.Reference()})
	})
	const users = 8
	var wg sync.WaitGroup
	for u := 0; u < users; u++ {
		wg.Add(1)
		go func(u int) {
			defer wg.Done()
			user := &discordgo.User{ID: fmt.Sprint(1400000000000000000 + u), Username: fmt.Sprint("u", u)}
			posted, err := srv.PostMessage(MessageOptions{Author: user, Content: "x", MentionBot: true})
			if err != nil {
				t.Error(err)
				return
			}
			reply, err := srv.WaitMessage(ctxT(t), func(m *Message) bool {
				return m.MessageReference != nil && m.MessageReference.MessageID == posted.ID
			})
			if err != nil {
				t.Error(err)
				return
			}
			it, err := srv.PressButton(ButtonOptions{MessageID: reply.ID, CustomID: "yes", Actor: Actor{User: user}})
			if err != nil {
				t.Error(err)
				return
			}
			if err := dg.InteractionRespond(it.Payload, &discordgo.InteractionResponse{Type: 6}); err != nil {
				t.Error(err)
			}
		}(u)
	}
	wg.Wait()
	if n := len(srv.Messages(DefaultChannelID)); n != 2*users {
		t.Fatalf("%d messages, want %d", n, 2*users)
	}
	rec.wait(t, "INTERACTION_CREATE", nil)
}
