package fakediscord

import (
	"slices"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

func TestGuild_RemoveBotAndOutage(t *testing.T) {
	t.Parallel()
	second := "1200000000000000010"
	srv := New(t, Options{Guilds: []GuildOptions{
		{ID: DefaultGuildID, Name: "One", Channels: []ChannelOptions{{ID: DefaultChannelID, Name: "general"}}},
		{ID: second, Name: "Two", Channels: []ChannelOptions{{ID: "1200000000000000011", Name: "digits"}}},
	}})
	dg, rec := openSession(t, srv, discordgo.IntentsAllWithoutPrivileged)
	if n := len(rec.all("GUILD_CREATE")); n != 2 {
		rec.wait(t, "GUILD_CREATE", func(e *discordgo.Event) bool { return e.Struct.(*discordgo.GuildCreate).ID == second })
	}

	if err := srv.GuildOutage(second); err != nil {
		t.Fatal(err)
	}
	out := rec.wait(t, "GUILD_DELETE", nil).Struct.(*discordgo.GuildDelete)
	if out.ID != second || !out.Unavailable {
		t.Fatalf("outage GUILD_DELETE %+v, want unavailable", out.Guild)
	}
	if err := srv.RemoveBotFromGuild(DefaultGuildID); err != nil {
		t.Fatal(err)
	}
	removed := rec.wait(t, "GUILD_DELETE", func(e *discordgo.Event) bool { return e.Struct.(*discordgo.GuildDelete).ID == DefaultGuildID }).Struct.(*discordgo.GuildDelete)
	if removed.Unavailable {
		t.Fatal("removal GUILD_DELETE marked unavailable")
	}
	if _, err := dg.ChannelMessageSend(DefaultChannelID, "x"); restErr(t, err).Message.Code != CodeMissingAccess {
		t.Fatalf("send into a left guild: %v", err)
	}
	// No events from the left guild nor from the one that is down: the
	// gateway's record of what it sent is complete once PostMessage returns.
	for _, guildID := range []string{DefaultGuildID, second} {
		m, err := srv.PostMessage(MessageOptions{GuildID: guildID, Content: "anyone?", MentionBot: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range srv.gatewayEvents() {
			if e.Type == "MESSAGE_CREATE" && strings.Contains(string(e.Data), m.ID) {
				t.Fatalf("event dispatched from guild %s, which the bot left or is down", guildID)
			}
		}
	}
	if _, err := srv.RunSlashCommand(CommandOptions{Name: "x", Actor: Actor{GuildID: DefaultGuildID}}); err == nil {
		t.Fatal("interaction scripted in a guild the bot left")
	}
}

func TestGuild_RevokeTokenWhileRunning(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, _ := openSession(t, srv, discordgo.IntentsAllWithoutPrivileged)
	newToken := srv.RevokeToken()
	if newToken == DefaultToken || srv.Token() != newToken {
		t.Fatal("token not replaced")
	}
	// discordgo is closed with 4004 and keeps trying to come back (it does
	// not give up on its own); every attempt is refused.
	waitServer(t, srv, "a refused IDENTIFY or RESUME after revocation", func() bool {
		for _, id := range srv.Identifies() {
			if id.CloseCode == CloseAuthenticationFailed {
				return true
			}
		}
		for _, r := range srv.Resumes() {
			if r.CloseCode == CloseAuthenticationFailed {
				return true
			}
		}
		return false
	})
	if _, err := dg.User("@me"); restErr(t, err).Response.StatusCode != 401 {
		t.Fatalf("REST with the old token: %v", err)
	}
	if srv.Connections() != 0 {
		t.Fatal("a connection survived the revocation")
	}
}

func TestGuild_BotManagedRoleMention(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{MessageContentAllowed: false})
	dg, rec := openSession(t, srv, discordgo.IntentsGuilds|discordgo.IntentsGuildMessages)
	srv.mu.Lock()
	roleID := srv.guilds[DefaultGuildID].BotRoleID
	srv.mu.Unlock()
	if roleID == "" {
		t.Fatal("the guild has no bot role")
	}
	// GUILD_CREATE carries the managed role, tagged with the bot's id, and
	// the bot's member holds it.
	rec.wait(t, "GUILD_CREATE", func(*discordgo.Event) bool { return true })
	var found bool
	for _, e := range rec.all("GUILD_CREATE") {
		gc := e.Struct.(*discordgo.GuildCreate)
		for _, r := range gc.Roles {
			if r.ID == roleID && r.Managed {
				found = true
			}
		}
		if !strings.Contains(string(e.RawData), `"tags":{"bot_id":"`+srv.AppID()+`"}`) {
			t.Errorf("GUILD_CREATE lacks the role's bot_id tag")
		}
	}
	if !found {
		t.Fatal("GUILD_CREATE has no managed role for the bot")
	}
	if m, err := dg.State.Member(DefaultGuildID, srv.AppID()); err != nil || !slices.Contains(m.Roles, roleID) {
		t.Fatalf("bot member %+v, %v: lacks its role", m, err)
	}
	posted, err := srv.PostMessage(MessageOptions{MentionBotRole: true, Content: "seven", Attachments: []File{{Name: "d.png", Data: pngBytes(t)}}})
	if err != nil {
		t.Fatal(err)
	}
	got := rec.wait(t, "MESSAGE_CREATE", func(e *discordgo.Event) bool {
		return e.Struct.(*discordgo.MessageCreate).ID == posted.ID
	}).Struct.(*discordgo.MessageCreate)
	if got.Content != "<@&"+roleID+"> seven" || !slices.Equal(got.MentionRoles, []string{roleID}) || len(got.Mentions) != 0 {
		t.Fatalf("content %q, mention_roles %v, mentions %v", got.Content, got.MentionRoles, got.Mentions)
	}
	if len(got.Attachments) != 1 {
		t.Fatalf("a mention of the bot's role should keep the attachments without the intent, got %d", len(got.Attachments))
	}
}
