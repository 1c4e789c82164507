package bot_test

import (
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot/fakediscord"
)

// The bot's permissions as the README's invite link grants them.
const invitePermissions = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
	discordgo.PermissionSendMessagesInThreads | discordgo.PermissionEmbedLinks |
	discordgo.PermissionAttachFiles | discordgo.PermissionReadMessageHistory

// botAnswer waits for the bot's next message in a channel.
func (h *harness) botAnswer(channel string) *fakediscord.Message {
	h.t.Helper()
	m, err := h.srv.WaitMessage(h.ctx(), func(m *fakediscord.Message) bool {
		return m.Author != nil && m.Author.ID == h.srv.AppID() && m.ChannelID == channel
	})
	if err != nil {
		h.t.Fatalf("no answer in %s: %v\nlogs:\n%s", channel, err, h.logs.String())
	}
	return m
}

func TestBot_WithoutReadMessageHistory_AnswersWithoutReplying(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	if err := h.srv.SetBotPermissions(guildID, invitePermissions&^discordgo.PermissionReadMessageHistory); err != nil {
		t.Fatal(err)
	}
	h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-7.png")}})
	m := h.botAnswer(channelID)
	if m.MessageReference != nil {
		t.Errorf("answered as a reply without Read Message History")
	}
	if len(m.Embeds) != 1 || !strings.HasPrefix(m.Embeds[0].Description, "# 7") {
		t.Errorf("answer %+v", m.Message)
	}
	h.waitLog("Read Message History") // logged once the answer is sent
}

func TestBot_WithoutEmbedLinks_AnswersInText(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	if err := h.srv.SetBotPermissions(guildID, invitePermissions&^discordgo.PermissionEmbedLinks); err != nil {
		t.Fatal(err)
	}
	msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-7.png")}})
	m := h.replyTo(msg.ID)
	if len(m.Embeds) != 0 || !strings.Contains(m.Content, "# 7") || !strings.Contains(m.Content, "Confidence") {
		t.Errorf("answer without Embed Links: content %q, %d embeds", m.Content, len(m.Embeds))
	}
	if len(m.Components) == 0 {
		t.Errorf("the text answer lost its buttons")
	}
	h.waitLog("Embed Links") // logged once the answer is sent
}

func TestBot_Thread_NeedsSendMessagesInThreads(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	if err := h.srv.SetBotPermissions(guildID, invitePermissions&^discordgo.PermissionSendMessagesInThreads); err != nil {
		t.Fatal(err)
	}
	h.post(fakediscord.MessageOptions{ChannelID: threadID, Author: alice, MentionBot: true, Attachments: []fakediscord.File{testImage(t, "digit-2.png")}})
	h.waitLog("Send Messages in Threads")
	for _, m := range h.srv.Messages(threadID) {
		if m.Author.ID == h.srv.AppID() {
			t.Fatalf("the bot posted in a thread without Send Messages in Threads")
		}
	}

	if err := h.srv.SetBotPermissions(guildID, invitePermissions); err != nil {
		t.Fatal(err)
	}
	msg := h.post(fakediscord.MessageOptions{ChannelID: threadID, Author: alice, MentionBot: true, Attachments: []fakediscord.File{testImage(t, "digit-2.png")}})
	if r := h.replyTo(msg.ID); !strings.HasPrefix(r.Embeds[0].Description, "# 2") {
		t.Errorf("answer in the thread: %s", embedText(r))
	}
}
