package fakediscord

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

func TestMessage_ContentIntentRule(t *testing.T) {
	t.Parallel()
	img := File{Name: "digit.png", Data: pngBytes(t)}
	cases := []struct {
		name        string
		allowed     bool
		intents     discordgo.Intent
		post        MessageOptions
		wantContent bool
	}{
		{"guild without intent", false, discordgo.IntentsAllWithoutPrivileged, MessageOptions{Content: "seven", Attachments: []File{img}}, false},
		{"guild mention without intent", false, discordgo.IntentsAllWithoutPrivileged, MessageOptions{Content: "seven", MentionBot: true, Attachments: []File{img}}, true},
		{"DM without intent", false, discordgo.IntentsAllWithoutPrivileged, MessageOptions{DM: true, Content: "seven", Attachments: []File{img}}, true},
		{"guild with intent", true, discordgo.IntentsAllWithoutPrivileged | discordgo.IntentMessageContent, MessageOptions{Content: "seven", Attachments: []File{img}}, true},
		{"intent allowed but not requested", true, discordgo.IntentsAllWithoutPrivileged, MessageOptions{Content: "seven", Attachments: []File{img}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := New(t, Options{MessageContentAllowed: tc.allowed})
			dg, rec := openSession(t, srv, tc.intents)
			posted, err := srv.PostMessage(tc.post)
			if err != nil {
				t.Fatal(err)
			}
			if len(posted.Attachments) != 1 || posted.Files[0].Name != "digit.png" {
				t.Fatalf("stored message lost its attachment: %+v", posted.Attachments)
			}
			got := rec.wait(t, "MESSAGE_CREATE", func(e *discordgo.Event) bool {
				return e.Struct.(*discordgo.MessageCreate).ID == posted.ID
			}).Struct.(*discordgo.MessageCreate)
			hasContent := strings.Contains(got.Content, "seven") && len(got.Attachments) == 1
			if hasContent != tc.wantContent {
				t.Fatalf("content %q attachments %d; want content visible = %v", got.Content, len(got.Attachments), tc.wantContent)
			}
			if !tc.wantContent && (got.Content != "" || len(got.Attachments) != 0) {
				t.Fatalf("stripped message still carries content %q / %d attachments", got.Content, len(got.Attachments))
			}
			if got.Author == nil || got.Author.ID != DefaultUserID {
				t.Fatalf("author %+v", got.Author)
			}
			if tc.wantContent {
				// The attachment URL is a real-looking CDN URL that the
				// rewriting client can fetch.
				a := got.Attachments[0]
				if !strings.HasPrefix(a.URL, "https://cdn.discordapp.com/attachments/") || a.Width != 2 || a.Height != 3 || a.ContentType != "image/png" {
					t.Fatalf("attachment %+v", a)
				}
				resp, err := dg.Client.Get(a.URL)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || !bytes.Equal(body, img.Data) || resp.Header.Get("Content-Type") != "image/png" {
					t.Fatalf("CDN answered %d %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
				}
			}
			// REST reads follow the application's intent setting.
			viaREST, err := dg.ChannelMessage(posted.ChannelID, posted.ID)
			if err != nil {
				t.Fatal(err)
			}
			wantREST := tc.allowed || tc.post.MentionBot || tc.post.DM
			if (viaREST.Content != "") != wantREST {
				t.Fatalf("REST content %q, want visible=%v", viaREST.Content, wantREST)
			}
		})
	}
}

func TestCDN_RefusesTamperedAndUnknownURLs(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	m, err := srv.PostMessage(MessageOptions{DM: true, Attachments: []File{{Name: "a.png", Data: pngBytes(t)}}})
	if err != nil {
		t.Fatal(err)
	}
	client := srv.HTTPClient()
	good := m.Attachments[0].URL
	for _, u := range []string{strings.Replace(good, "hm=", "hm=00", 1), strings.Split(good, "?")[0]} {
		resp, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("GET %s = %d, want 404", u, resp.StatusCode)
		}
	}
	if _, err := client.Get("https://example.com/x.png"); err == nil {
		t.Fatal("the rewriting client reached a non-Discord host")
	}
	resp, err := client.Get(strings.Replace(good, "cdn.discordapp.com", "media.discordapp.net", 1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("media proxy URL = %d", resp.StatusCode)
	}
}

func buttonsRow(ids ...string) discordgo.ActionsRow {
	var row discordgo.ActionsRow
	for _, id := range ids {
		row.Components = append(row.Components, discordgo.Button{Label: id, CustomID: id, Style: discordgo.PrimaryButton})
	}
	return row
}

func TestMessage_SendComplexWithEmbedsComponentsFiles(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, rec := openSession(t, srv, discordgo.IntentsAllWithoutPrivileged)
	user, _ := srv.PostMessage(MessageOptions{Content: "hi", MentionBot: true})
	png := pngBytes(t)
	sent, err := dg.ChannelMessageSendComplex(DefaultChannelID, &discordgo.MessageSend{
		Content: "it is a 7",
		Embeds: []*discordgo.MessageEmbed{{Title: "7", Description: "92%", Color: 0x00ff00,
			Image: &discordgo.MessageEmbedImage{URL: "attachment://input.png"}}},
		Components: []discordgo.MessageComponent{buttonsRow("d0", "d1", "d2", "d3", "d4"), buttonsRow("d5", "d6", "d7", "d8", "d9")},
		Files:      []*discordgo.File{{Name: "input.png", ContentType: "image/png", Reader: bytes.NewReader(png)}, {Name: "log.txt", Reader: strings.NewReader("hello")}},
		Reference:  &discordgo.MessageReference{MessageID: user.ID, ChannelID: DefaultChannelID},
	})
	if err != nil {
		t.Fatal(err)
	}
	if sent.Type != discordgo.MessageTypeReply || sent.MessageReference == nil || sent.MessageReference.MessageID != user.ID {
		t.Fatalf("reply fields: type %d ref %+v", sent.Type, sent.MessageReference)
	}
	if len(sent.Components) != 2 || len(sent.Components[1].(*discordgo.ActionsRow).Components) != 5 {
		t.Fatalf("components %+v", sent.Components)
	}
	img := sent.Embeds[0].Image
	if !strings.HasPrefix(img.URL, "https://cdn.discordapp.com/attachments/") || img.Width != 2 || img.Height != 3 {
		t.Fatalf("attachment:// not resolved: %+v", img)
	}
	// The file shown in the embed is not listed as an attachment.
	if len(sent.Attachments) != 1 || sent.Attachments[0].Filename != "log.txt" || sent.Attachments[0].ContentType != "text/plain; charset=utf-8" {
		t.Fatalf("attachments %+v", sent.Attachments)
	}
	snap, ok := srv.Message(sent.ID)
	if !ok {
		t.Fatal("message not stored")
	}
	if f, ok := snap.File("input.png"); !ok || !bytes.Equal(f.Data, png) {
		t.Fatal("embed image bytes not kept")
	}
	// The bot gets its own MESSAGE_CREATE, like on Discord.
	rec.wait(t, "MESSAGE_CREATE", func(e *discordgo.Event) bool { return e.Struct.(*discordgo.MessageCreate).ID == sent.ID })

	// Edit: content changes, buttons disabled, edited_timestamp set.
	content := "it was a 7 ✅"
	row := buttonsRow("d7")
	row.Components[0] = discordgo.Button{Label: "7", CustomID: "d7", Disabled: true}
	edited, err := dg.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: sent.ID, Channel: DefaultChannelID, Content: &content,
		Components: &[]discordgo.MessageComponent{row}})
	if err != nil {
		t.Fatal(err)
	}
	if edited.Content != content || edited.EditedTimestamp == nil || len(edited.Embeds) != 1 || len(edited.Attachments) != 1 {
		t.Fatalf("edit result %+v", edited)
	}
	if m, _ := srv.Message(sent.ID); m.Edits != 1 || m.Content != content {
		t.Fatalf("stored after the edit: %d edits, content %q", m.Edits, m.Content)
	}
	rec.wait(t, "MESSAGE_UPDATE", func(e *discordgo.Event) bool { return e.Struct.(*discordgo.MessageUpdate).ID == sent.ID })
	if err := dg.ChannelMessageDelete(DefaultChannelID, sent.ID); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, "MESSAGE_DELETE", func(e *discordgo.Event) bool { return e.Struct.(*discordgo.MessageDelete).ID == sent.ID })
	if _, err := dg.ChannelMessage(DefaultChannelID, sent.ID); restErr(t, err).Message.Code != CodeUnknownMessage {
		t.Fatalf("deleted message still readable: %v", err)
	}
	// Editing a user's message is refused.
	if _, err := dg.ChannelMessageEdit(DefaultChannelID, user.ID, "x"); restErr(t, err).Message.Code != CodeCannotEditOthers {
		t.Fatalf("edit of a user's message: %v", err)
	}
}

func TestMessage_RulesRejected(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{MaxFileSize: 1024})
	dg, err := srv.NewSession(discordgo.IntentsAllWithoutPrivileged)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 101)
	cases := []struct {
		name     string
		msg      *discordgo.MessageSend
		status   int
		code     int
		errorKey string
	}{
		{"six buttons in a row", &discordgo.MessageSend{Content: "x", Components: []discordgo.MessageComponent{buttonsRow("a", "b", "c", "d", "e", "f")}}, 400, CodeInvalidFormBody, "components"},
		{"custom_id of 101 chars", &discordgo.MessageSend{Content: "x", Components: []discordgo.MessageComponent{buttonsRow(long)}}, 400, CodeInvalidFormBody, "custom_id"},
		{"duplicate custom_id", &discordgo.MessageSend{Content: "x", Components: []discordgo.MessageComponent{buttonsRow("a"), buttonsRow("a")}}, 400, CodeInvalidFormBody, "COMPONENT_CUSTOM_ID_DUPLICATED"},
		{"six rows", &discordgo.MessageSend{Content: "x", Components: []discordgo.MessageComponent{buttonsRow("a"), buttonsRow("b"), buttonsRow("c"), buttonsRow("d"), buttonsRow("e"), buttonsRow("f")}}, 400, CodeInvalidFormBody, "components"},
		{"label of 81 chars", &discordgo.MessageSend{Content: "x", Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.Button{Label: strings.Repeat("l", 81), CustomID: "a"}}}}}, 400, CodeInvalidFormBody, "label"},
		{"content over 2000", &discordgo.MessageSend{Content: strings.Repeat("c", 2001)}, 400, CodeInvalidFormBody, "content"},
		{"embed title over 256", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Title: strings.Repeat("t", 257)}}}, 400, CodeInvalidFormBody, "title"},
		{"embed total over 6000", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Description: strings.Repeat("d", 4000)}, {Description: strings.Repeat("d", 2001)}}}, 400, CodeInvalidFormBody, "MAX_EMBED_SIZE_EXCEEDED"},
		{"26 embed fields", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Fields: make26Fields()}}}, 400, CodeInvalidFormBody, "fields"},
		{"empty message", &discordgo.MessageSend{}, 400, CodeEmptyMessage, ""},
		{"file over the limit", &discordgo.MessageSend{Files: []*discordgo.File{{Name: "big.bin", Reader: bytes.NewReader(make([]byte, 1025))}}}, 413, CodeEntityTooLarge, ""},
	}
	for _, tc := range cases {
		_, err := dg.ChannelMessageSendComplex(DefaultChannelID, tc.msg)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		re := restErr(t, err)
		if re.Response.StatusCode != tc.status || re.Message.Code != tc.code || !strings.Contains(string(re.ResponseBody), tc.errorKey) {
			t.Errorf("%s: got %d %s, want %d code %d mentioning %q", tc.name, re.Response.StatusCode, re.ResponseBody, tc.status, tc.code, tc.errorKey)
		}
	}
	if n := len(srv.Messages(DefaultChannelID)); n != 0 {
		t.Fatalf("%d rejected messages were stored", n)
	}
	// A file exactly at the limit passes.
	if _, err := dg.ChannelMessageSendComplex(DefaultChannelID, &discordgo.MessageSend{Files: []*discordgo.File{{Name: "ok.bin", Reader: bytes.NewReader(make([]byte, 1024))}}}); err != nil {
		t.Fatalf("file at the limit: %v", err)
	}
	// REST without the bot token is unauthorized.
	other, _ := discordgo.New("Bot nope")
	srv.Configure(other)
	if _, err := other.ChannelMessageSend(DefaultChannelID, "x"); err == nil || restErr(t, err).Response.StatusCode != 401 {
		t.Fatalf("bad token: %v", err)
	}
}

func make26Fields() []*discordgo.MessageEmbedField {
	out := make([]*discordgo.MessageEmbedField, 26)
	for i := range out {
		out[i] = &discordgo.MessageEmbedField{Name: "n", Value: "v"}
	}
	return out
}

func TestMessage_DMChannelCreate(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, err := srv.NewSession(discordgo.IntentsAllWithoutPrivileged)
	if err != nil {
		t.Fatal(err)
	}
	posted, _ := srv.PostMessage(MessageOptions{DM: true, Content: "hello"})
	ch, err := dg.UserChannelCreate(DefaultUserID)
	if err != nil {
		t.Fatal(err)
	}
	if ch.ID != posted.ChannelID || ch.Type != discordgo.ChannelTypeDM || len(ch.Recipients) != 1 || ch.Recipients[0].ID != DefaultUserID {
		t.Fatalf("DM channel %+v, want %s", ch, posted.ChannelID)
	}
	if _, err := dg.ChannelMessageSend(ch.ID, "hi back"); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages(ch.ID)
	if len(msgs) != 2 || msgs[1].Author.ID != DefaultAppID || msgs[1].GuildID != "" {
		t.Fatalf("DM messages %+v", msgs)
	}
	if _, err := dg.UserChannelCreate("999"); err == nil {
		t.Fatal("DM with an unknown user accepted")
	}
}

func TestMessage_ReplyDoesNotLeakReferencedContent(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, rec := openSession(t, srv, discordgo.IntentsAllWithoutPrivileged)
	user, _ := srv.PostMessage(MessageOptions{Content: "secret digits", Attachments: []File{{Name: "a.png", Data: pngBytes(t)}}})
	sent, err := dg.ChannelMessageSendReply(DefaultChannelID, "reply", &discordgo.MessageReference{MessageID: user.ID})
	if err != nil {
		t.Fatal(err)
	}
	ev := rec.wait(t, "MESSAGE_CREATE", func(e *discordgo.Event) bool { return e.Struct.(*discordgo.MessageCreate).ID == sent.ID }).Struct.(*discordgo.MessageCreate)
	if ev.Content != "reply" || ev.ReferencedMessage == nil || ev.ReferencedMessage.ID != user.ID {
		t.Fatalf("reply event %+v", ev.Message)
	}
	if ev.ReferencedMessage.Content != "" || len(ev.ReferencedMessage.Attachments) != 0 {
		t.Fatalf("referenced message leaked content %q without the intent", ev.ReferencedMessage.Content)
	}
	// The stored message keeps everything.
	if m, _ := srv.Message(sent.ID); m.ReferencedMessage.Content != "secret digits" {
		t.Fatal("stored reference lost its content")
	}
}

func TestServer_RejectsNonSnowflakeIDs(t *testing.T) {
	t.Parallel()
	if _, err := NewServer(Options{Guilds: []GuildOptions{{ID: "guild-one"}}}); err == nil {
		t.Fatal("guild id \"guild-one\" accepted")
	}
	if _, err := NewServer(Options{Guilds: []GuildOptions{{ID: "1", Channels: []ChannelOptions{{ID: "general"}}}}}); err == nil {
		t.Fatal("channel id \"general\" accepted")
	}
	srv := New(t, Options{})
	if _, err := srv.PostMessage(MessageOptions{Author: &discordgo.User{ID: "bob"}, Content: "x"}); err == nil {
		t.Fatal("author id \"bob\" accepted")
	}
	if n := len(srv.Messages(DefaultChannelID)); n != 0 {
		t.Fatalf("%d messages stored after a refused post", n)
	}
}

func TestMessage_ForwardCarriesASnapshot(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{MessageContentAllowed: true})
	_, rec := openSession(t, srv, discordgo.IntentsGuildMessages|discordgo.IntentMessageContent)
	orig, err := srv.PostMessage(MessageOptions{Content: "seven", Attachments: []File{{Name: "d.png", Data: pngBytes(t)}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.PostMessage(MessageOptions{Forward: orig.ID, Content: "no"}); err == nil {
		t.Fatal("a forward with content of its own was accepted")
	}
	fwd, err := srv.PostMessage(MessageOptions{Forward: orig.ID})
	if err != nil {
		t.Fatal(err)
	}
	ev := rec.wait(t, "MESSAGE_CREATE", func(e *discordgo.Event) bool {
		return e.Struct.(*discordgo.MessageCreate).ID == fwd.ID
	})
	got := ev.Struct.(*discordgo.MessageCreate)
	if got.MessageReference == nil || got.MessageReference.Type != discordgo.MessageReferenceTypeForward || got.MessageReference.MessageID != orig.ID {
		t.Fatalf("message_reference %+v, want a FORWARD of %s", got.MessageReference, orig.ID)
	}
	if got.Content != "" || len(got.Attachments) != 0 || len(got.MessageSnapshots) != 1 {
		t.Fatalf("forward: content %q, %d attachments, %d snapshots", got.Content, len(got.Attachments), len(got.MessageSnapshots))
	}
	sn := got.MessageSnapshots[0].Message
	if sn.Content != "seven" || len(sn.Attachments) != 1 || sn.Attachments[0].URL != orig.Attachments[0].URL {
		t.Fatalf("snapshot %+v", sn)
	}
	if strings.Contains(string(ev.RawData), `"author"`) && strings.Count(string(ev.RawData), `"author"`) > 1 {
		t.Errorf("the snapshot carries an author: %s", ev.RawData)
	}
}
