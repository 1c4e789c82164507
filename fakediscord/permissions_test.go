package fakediscord

import (
	"net/http"
	"testing"

	"github.com/bwmarrin/discordgo"
)

func TestPermissions_RefusedLikeDiscord(t *testing.T) {
	t.Parallel()
	thread := "1200000000000000009"
	srv := New(t, Options{Guilds: []GuildOptions{{ID: DefaultGuildID, Channels: []ChannelOptions{
		{ID: DefaultChannelID, Name: "general"}, {ID: thread, Name: "t", ThreadOf: DefaultChannelID}}}}})
	dg, _ := openSession(t, srv, discordgo.IntentsGuilds)
	ctx := discordgo.WithContext(ctxT(t))
	first, err := dg.ChannelMessageSend(DefaultChannelID, "hello", ctx)
	if err != nil {
		t.Fatal(err)
	}
	all := int64(discordgo.PermissionViewChannel | discordgo.PermissionSendMessages | discordgo.PermissionSendMessagesInThreads |
		discordgo.PermissionEmbedLinks | discordgo.PermissionAttachFiles | discordgo.PermissionReadMessageHistory)
	embed := []*discordgo.MessageEmbed{{Title: "x"}}
	for _, tc := range []struct {
		name    string
		without int64
		channel string
		send    *discordgo.MessageSend
	}{
		{"reply without Read Message History", discordgo.PermissionReadMessageHistory, DefaultChannelID,
			&discordgo.MessageSend{Content: "re", Reference: first.Reference()}},
		{"embed without Embed Links", discordgo.PermissionEmbedLinks, DefaultChannelID, &discordgo.MessageSend{Embeds: embed}},
		{"thread without Send Messages in Threads", discordgo.PermissionSendMessagesInThreads, thread, &discordgo.MessageSend{Content: "hi"}},
		{"channel without Send Messages", discordgo.PermissionSendMessages, DefaultChannelID, &discordgo.MessageSend{Content: "hi"}},
	} {
		if err := srv.SetBotPermissions(DefaultGuildID, all&^tc.without); err != nil {
			t.Fatal(err)
		}
		_, err := dg.ChannelMessageSendComplex(tc.channel, tc.send, ctx)
		re := restErr(t, err)
		if re.Response.StatusCode != http.StatusForbidden || re.Message == nil || re.Message.Code != 50013 || re.Message.Message != "Missing Permissions" {
			t.Errorf("%s: %v, want 403 {code 50013, Missing Permissions}", tc.name, err)
		}
		// With the permission back, the same message goes through.
		if err := srv.SetBotPermissions(DefaultGuildID, all); err != nil {
			t.Fatal(err)
		}
		if _, err := dg.ChannelMessageSendComplex(tc.channel, tc.send, ctx); err != nil {
			t.Errorf("%s, permission given back: %v", tc.name, err)
		}
	}
}
