package bot

import (
	"testing"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
)

// BenchmarkOnMessageCreate_Ignored is the bot's own cost of a message it
// ignores (ordinary chat in a server: no image, no mention), from the
// gateway handler to the decision; the gateway's decoding is discordgo's
// and is not counted.
func BenchmarkOnMessageCreate_Ignored(b *testing.B) {
	s, err := discordgo.New("Bot x")
	if err != nil {
		b.Fatal(err)
	}
	render := func(digitbot.Stats, ChartRequest) ([]byte, error) { return nil, nil }
	bt, err := New(Options{Session: s, Classifier: nopClassifier{}, Store: nopStore{}, Render: render})
	if err != nil {
		b.Fatal(err)
	}
	bt.me.Store(&identity{UserID: "1100000000000000001", AppID: "1100000000000000001"})
	bt.accepting = true
	m := &discordgo.MessageCreate{Message: &discordgo.Message{ID: "1500000000000000001", ChannelID: "1200000000000000002",
		GuildID: "1200000000000000001", Content: "just chatting", Author: &discordgo.User{ID: "1300000000000000002", Username: "alice"}}}
	b.ReportAllocs()
	for b.Loop() {
		bt.onMessageCreate(s, m)
	}
	bt.inflight.Wait()
}
