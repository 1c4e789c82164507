package fakediscord

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

var testCommands = []*discordgo.ApplicationCommand{
	{Name: "predict", Description: "Recognise a digit", Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionAttachment, Name: "image", Description: "the image", Required: true}}},
	{Name: "stats", Description: "Statistics", Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionString, Name: "scope", Description: "me or server",
			Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "me", Value: "me"}, {Name: "server", Value: "server"}}},
		{Type: discordgo.ApplicationCommandOptionUser, Name: "user", Description: "whose"}}},
	{Name: "Recognize digit", Type: discordgo.MessageApplicationCommand},
}

func registerCommands(t *testing.T, srv *Server, dg *discordgo.Session) []*discordgo.ApplicationCommand {
	t.Helper()
	got, err := dg.ApplicationCommandBulkOverwrite(srv.AppID(), "", testCommands)
	if err != nil {
		t.Fatalf("bulk overwrite: %v", err)
	}
	return got
}

func TestCommands_BulkOverwriteAndValidation(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, _ := srv.NewSession(0)
	got := registerCommands(t, srv, dg)
	if len(got) != 3 || got[0].ID == "" || got[0].ApplicationID != DefaultAppID || got[2].Type != discordgo.MessageApplicationCommand {
		t.Fatalf("registered %+v", got)
	}
	if got[0].Options[0].Type != discordgo.ApplicationCommandOptionAttachment {
		t.Fatalf("attachment option type lost: %+v", got[0].Options[0])
	}
	again := registerCommands(t, srv, dg)
	if again[0].ID != got[0].ID {
		t.Fatal("bulk overwrite changed the id of an unchanged command")
	}
	if listed := srv.Commands(""); len(listed) != 3 {
		t.Fatalf("Commands() = %d", len(listed))
	}
	fetched, err := dg.ApplicationCommands(srv.AppID(), "")
	if err != nil || len(fetched) != 3 {
		t.Fatalf("GET commands: %v %d", err, len(fetched))
	}
	guild, err := dg.ApplicationCommandBulkOverwrite(srv.AppID(), DefaultGuildID, testCommands[:1])
	if err != nil || len(guild) != 1 || guild[0].GuildID != DefaultGuildID {
		t.Fatalf("guild overwrite: %v %+v", err, guild)
	}
	bad := []struct {
		name string
		cmd  *discordgo.ApplicationCommand
		want string
	}{
		{"uppercase slash name", &discordgo.ApplicationCommand{Name: "Predict", Description: "x"}, "name"},
		{"space in slash name", &discordgo.ApplicationCommand{Name: "two words", Description: "x"}, "name"},
		{"missing description", &discordgo.ApplicationCommand{Name: "x"}, "description"},
		{"description on message command", &discordgo.ApplicationCommand{Name: "Menu", Type: discordgo.MessageApplicationCommand, Description: "no"}, "description"},
		{"description over 100", &discordgo.ApplicationCommand{Name: "x", Description: strings.Repeat("d", 101)}, "description"},
		{"required after optional", &discordgo.ApplicationCommand{Name: "x", Description: "x", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "a", Description: "a"},
			{Type: discordgo.ApplicationCommandOptionString, Name: "b", Description: "b", Required: true}}}, "required"},
	}
	for _, b := range bad {
		_, err := dg.ApplicationCommandBulkOverwrite(srv.AppID(), "", []*discordgo.ApplicationCommand{b.cmd})
		if err == nil {
			t.Errorf("%s: accepted", b.name)
			continue
		}
		re := restErr(t, err)
		if re.Message.Code != CodeInvalidFormBody || !strings.Contains(string(re.ResponseBody), b.want) {
			t.Errorf("%s: %s", b.name, re.ResponseBody)
		}
	}
	if len(srv.Commands("")) != 3 {
		t.Fatal("a rejected overwrite replaced the commands")
	}
	if _, err := dg.ApplicationCommandBulkOverwrite("123", "", testCommands); err == nil {
		t.Fatal("overwrite for another application accepted")
	}
}

func TestInteraction_SlashCommandWithAttachmentRespondsWithFile(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, rec := openSession(t, srv, discordgo.IntentsAllWithoutPrivileged)
	registerCommands(t, srv, dg)
	perms := int64(discordgo.PermissionManageGuild | discordgo.PermissionViewChannel)
	it, err := srv.RunSlashCommand(CommandOptions{Name: "predict", Actor: Actor{Locale: "es-ES", Permissions: &perms},
		Options: map[string]any{"image": File{Name: "seven.png", Data: pngBytes(t)}}})
	if err != nil {
		t.Fatal(err)
	}
	ev := rec.wait(t, "INTERACTION_CREATE", nil).Struct.(*discordgo.InteractionCreate)
	data := ev.ApplicationCommandData()
	if ev.ID != it.ID() || data.Name != "predict" || ev.Locale != discordgo.SpanishES || ev.Member == nil || ev.Member.Permissions != perms {
		t.Fatalf("interaction %+v member %+v", ev.Interaction, ev.Member)
	}
	attID := data.Options[0].Value.(string)
	att := data.Resolved.Attachments[attID]
	if att == nil || !strings.HasPrefix(att.URL, "https://cdn.discordapp.com/ephemeral-attachments/") || att.Width != 2 {
		t.Fatalf("resolved attachment %+v", att)
	}
	resp, err := srv.HTTPClient().Get(att.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(body, pngBytes(t)) {
		t.Fatal("attachment bytes differ")
	}
	err = dg.InteractionRespond(ev.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: "7", Flags: discordgo.MessageFlagsEphemeral,
			Files: []*discordgo.File{{Name: "saw.png", ContentType: "image/png", Reader: bytes.NewReader(pngBytes(t))}}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := it.WaitResponse(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if r.Type != 4 || r.Message.Content != "7" || !it.Ephemeral() || r.Message.VisibleTo != DefaultUserID || len(r.Message.Files) != 1 {
		t.Fatalf("response %+v message %+v", r, r.Message)
	}
	if r.Message.Type != discordgo.MessageTypeChatInputCommand || r.Message.Interaction == nil || r.Message.Interaction.Name != "predict" {
		t.Fatalf("response message type %d interaction %+v", r.Message.Type, r.Message.Interaction)
	}
	// Ephemeral messages are not dispatched on the gateway: the gateway's
	// record of what it sent is complete once the response is stored.
	for _, e := range srv.gatewayEvents() {
		if e.Type == "MESSAGE_CREATE" && strings.Contains(string(e.Data), r.Message.ID) {
			t.Fatal("ephemeral response dispatched as MESSAGE_CREATE")
		}
	}
	// A second initial response is refused.
	err = dg.InteractionRespond(ev.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: "again"}})
	if re := restErr(t, err); re.Response.StatusCode != 400 || re.Message.Code != CodeAlreadyAcknowledged {
		t.Fatalf("second response: %s", re.ResponseBody)
	}
	// Slash commands cannot be answered with component-only types.
	it2, _ := srv.RunSlashCommand(CommandOptions{Name: "stats"})
	err = dg.InteractionRespond(it2.Payload, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate})
	if re := restErr(t, err); re.Message.Code != CodeInvalidFormBody {
		t.Fatalf("type 6 on a slash command: %s", re.ResponseBody)
	}
}

func TestInteraction_ScriptChecksCommandAndOptions(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, _ := srv.NewSession(0)
	if _, err := srv.RunSlashCommand(CommandOptions{Name: "predict"}); err == nil {
		t.Fatal("unregistered command ran")
	}
	registerCommands(t, srv, dg)
	for name, o := range map[string]CommandOptions{
		"missing required": {Name: "predict"},
		"unknown option":   {Name: "stats", Options: map[string]any{"nope": "x"}},
		"bad choice":       {Name: "stats", Options: map[string]any{"scope": "galaxy"}},
		"wrong type":       {Name: "stats", Options: map[string]any{"scope": 3}},
	} {
		if _, err := srv.RunSlashCommand(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	it, err := srv.RunSlashCommand(CommandOptions{Name: "stats", Options: map[string]any{"scope": "server", "user": "42"}})
	if err != nil {
		t.Fatal(err)
	}
	d := it.Payload.ApplicationCommandData()
	if d.Options[0].StringValue() != "server" || d.Resolved.Users["42"] == nil {
		t.Fatalf("options %+v resolved %+v", d.Options, d.Resolved)
	}
	// Default-member-permission commands are not offered to members without them.
	guarded := []*discordgo.ApplicationCommand{{Name: "admin", Description: "x", DefaultMemberPermissions: ptr(int64(discordgo.PermissionManageGuild))}}
	if _, err := dg.ApplicationCommandBulkOverwrite(srv.AppID(), DefaultGuildID, guarded); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.RunSlashCommand(CommandOptions{Name: "admin"}); err == nil {
		t.Fatal("member without Manage Server ran a guarded command")
	}
	manage := int64(discordgo.PermissionManageGuild)
	if _, err := srv.RunSlashCommand(CommandOptions{Name: "admin", Actor: Actor{Permissions: &manage}}); err != nil {
		t.Fatalf("member with Manage Server: %v", err)
	}
	// DM: no member, a user.
	dm, err := srv.RunSlashCommand(CommandOptions{Name: "stats", Actor: Actor{DM: true}})
	if err != nil {
		t.Fatal(err)
	}
	if dm.Payload.Member != nil || dm.Payload.User == nil || dm.Payload.GuildID != "" {
		t.Fatalf("DM interaction member %+v user %+v", dm.Payload.Member, dm.Payload.User)
	}
}

func ptr[T any](v T) *T { return &v }

func TestInteraction_DeferThenEditAndFollowup(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, rec := openSession(t, srv, discordgo.IntentsAllWithoutPrivileged)
	registerCommands(t, srv, dg)
	it, _ := srv.RunSlashCommand(CommandOptions{Name: "stats"})
	i := rec.wait(t, "INTERACTION_CREATE", nil).Struct.(*discordgo.InteractionCreate).Interaction
	if err := dg.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}); err != nil {
		t.Fatal(err)
	}
	r, err := it.WaitResponse(ctxT(t))
	if err != nil || r.Type != 5 || !r.Message.Loading {
		t.Fatalf("deferred response %+v %v", r, err)
	}
	if _, err := dg.InteractionResponseEdit(i, &discordgo.WebhookEdit{}); restErr(t, err).Message.Code != CodeEmptyMessage {
		t.Fatalf("empty edit of the deferred message: %v", err)
	}
	content := "chart"
	edited, err := dg.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &content,
		Files: []*discordgo.File{{Name: "stats.png", Reader: bytes.NewReader(pngBytes(t))}}})
	if err != nil {
		t.Fatal(err)
	}
	if edited.Content != "chart" || len(edited.Attachments) != 1 {
		t.Fatalf("edited %+v", edited)
	}
	final, err := it.WaitFinal(ctxT(t))
	if err != nil || final.Loading || final.Content != "chart" || final.Files[0].Name != "stats.png" {
		t.Fatalf("final %+v %v", final, err)
	}
	got, err := dg.InteractionResponse(i)
	if err != nil || got.ID != final.ID {
		t.Fatalf("GET @original: %v", err)
	}
	fu, err := dg.FollowupMessageCreate(i, true, &discordgo.WebhookParams{Content: "more", Flags: discordgo.MessageFlagsEphemeral})
	if err != nil || fu.Content != "more" || fu.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Fatalf("followup %+v %v", fu, err)
	}
	if f := it.Followups(); len(f) != 1 || f[0].VisibleTo != DefaultUserID {
		t.Fatalf("followups %+v", f)
	}
	// The visible original was dispatched (create, then update).
	rec.wait(t, "MESSAGE_UPDATE", func(e *discordgo.Event) bool { return e.Struct.(*discordgo.MessageUpdate).ID == final.ID })
}

func TestInteraction_FirstFollowupReplacesDeferredMessage(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, _ := srv.NewSession(0)
	registerCommands(t, srv, dg)
	it, _ := srv.RunSlashCommand(CommandOptions{Name: "stats"})
	if err := dg.InteractionRespond(it.Payload, &discordgo.InteractionResponse{Type: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := dg.FollowupMessageCreate(it.Payload, true, &discordgo.WebhookParams{Content: "done"}); err != nil {
		t.Fatal(err)
	}
	final, err := it.WaitFinal(ctxT(t))
	if err != nil || final.Content != "done" || len(it.Followups()) != 0 {
		t.Fatalf("final %+v followups %d %v", final, len(it.Followups()), err)
	}
}

func TestInteraction_ButtonsUpdateAndDeferredUpdate(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, rec := openSession(t, srv, discordgo.IntentsAllWithoutPrivileged)
	msg, err := dg.ChannelMessageSendComplex(DefaultChannelID, &discordgo.MessageSend{Content: "pick",
		Components: []discordgo.MessageComponent{buttonsRow("d0", "d1")}})
	if err != nil {
		t.Fatal(err)
	}
	bob := &discordgo.User{ID: "1300000000000000009", Username: "bob"}
	it, err := srv.PressButton(ButtonOptions{MessageID: msg.ID, CustomID: "d1", Actor: Actor{User: bob}})
	if err != nil {
		t.Fatal(err)
	}
	ev := rec.wait(t, "INTERACTION_CREATE", nil).Struct.(*discordgo.InteractionCreate)
	if ev.Type != discordgo.InteractionMessageComponent || ev.MessageComponentData().CustomID != "d1" || ev.Message == nil || ev.Message.ID != msg.ID || ev.Member.User.ID != bob.ID {
		t.Fatalf("component interaction %+v", ev.Interaction)
	}
	// Type 7 edits the message the button is on, with a file.
	err = dg.InteractionRespond(ev.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage,
		Data: &discordgo.InteractionResponseData{Content: "you picked 1", Components: []discordgo.MessageComponent{},
			Files: []*discordgo.File{{Name: "x.png", Reader: bytes.NewReader(pngBytes(t))}}}})
	if err != nil {
		t.Fatal(err)
	}
	final, err := it.WaitFinal(ctxT(t))
	if err != nil || final.ID != msg.ID || final.Content != "you picked 1" || len(final.Components) != 0 || len(final.Attachments) != 1 {
		t.Fatalf("updated message %+v %v", final, err)
	}
	if _, err := srv.PressButton(ButtonOptions{MessageID: msg.ID, CustomID: "d1"}); err == nil {
		t.Fatal("pressed a button that no longer exists")
	}

	// Type 6 then edit @original edits the component's message.
	msg2, _ := dg.ChannelMessageSendComplex(DefaultChannelID, &discordgo.MessageSend{Content: "again",
		Components: []discordgo.MessageComponent{buttonsRow("a", "b")}})
	it2, _ := srv.PressButton(ButtonOptions{MessageID: msg2.ID, CustomID: "a"})
	if err := dg.InteractionRespond(it2.Payload, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}); err != nil {
		t.Fatal(err)
	}
	content := "saved"
	if _, err := dg.InteractionResponseEdit(it2.Payload, &discordgo.WebhookEdit{Content: &content}); err != nil {
		t.Fatal(err)
	}
	final2, err := it2.WaitFinal(ctxT(t))
	if err != nil || final2.ID != msg2.ID || final2.Content != "saved" || len(final2.Components) != 1 {
		t.Fatalf("deferred update %+v %v", final2, err)
	}
	// An ephemeral reply to a button is visible to the presser only.
	it3, _ := srv.PressButton(ButtonOptions{MessageID: msg2.ID, CustomID: "b", Actor: Actor{User: bob}})
	if err := dg.InteractionRespond(it3.Payload, &discordgo.InteractionResponse{Type: 4,
		Data: &discordgo.InteractionResponseData{Content: "not yours", Flags: discordgo.MessageFlagsEphemeral}}); err != nil {
		t.Fatal(err)
	}
	r3, _ := it3.WaitResponse(ctxT(t))
	if !it3.Ephemeral() || r3.Message.VisibleTo != bob.ID {
		t.Fatalf("ephemeral reply visible to %q", r3.Message.VisibleTo)
	}
	// Disabled buttons cannot be pressed.
	row := discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.Button{Label: "x", CustomID: "x", Disabled: true}}}
	msg3, _ := dg.ChannelMessageSendComplex(DefaultChannelID, &discordgo.MessageSend{Content: "off", Components: []discordgo.MessageComponent{row}})
	if _, err := srv.PressButton(ButtonOptions{MessageID: msg3.ID, CustomID: "x"}); err == nil {
		t.Fatal("pressed a disabled button")
	}
}

func TestInteraction_LateResponseIsUnknown(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	srv := New(t, Options{Clock: clock})
	dg, _ := srv.NewSession(0)
	registerCommands(t, srv, dg)
	it, _ := srv.RunSlashCommand(CommandOptions{Name: "stats"})
	clock.Advance(3*time.Second + time.Millisecond)
	if !it.Failed() {
		t.Fatal("interaction not failed after the deadline")
	}
	err := dg.InteractionRespond(it.Payload, &discordgo.InteractionResponse{Type: 5})
	if re := restErr(t, err); re.Response.StatusCode != 404 || re.Message.Code != CodeUnknownInteraction || re.Message.Message != "Unknown interaction" {
		t.Fatalf("late response: %s", re.ResponseBody)
	}
	if _, err := it.WaitResponse(ctxT(t)); err == nil {
		t.Fatal("WaitResponse succeeded on a dead interaction")
	}
	content := "x"
	if _, err := dg.InteractionResponseEdit(it.Payload, &discordgo.WebhookEdit{Content: &content}); restErr(t, err).Message.Code != CodeUnknownWebhook {
		t.Fatalf("edit after a missed deadline: %v", err)
	}
	att := it.Attempts()
	if len(att) != 2 || att[0].Code != CodeUnknownInteraction || att[0].Elapsed <= 3*time.Second {
		t.Fatalf("attempts %+v", att)
	}
	// Just inside the window works.
	it2, _ := srv.RunSlashCommand(CommandOptions{Name: "stats"})
	clock.Advance(3 * time.Second)
	if err := dg.InteractionRespond(it2.Payload, &discordgo.InteractionResponse{Type: 5}); err != nil {
		t.Fatalf("response at exactly 3 s: %v", err)
	}
}

func TestInteraction_TokenExpiresAfter15Minutes(t *testing.T) {
	t.Parallel()
	clock := NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	srv := New(t, Options{Clock: clock})
	dg, _ := srv.NewSession(0)
	registerCommands(t, srv, dg)
	it, _ := srv.RunSlashCommand(CommandOptions{Name: "stats"})
	if err := dg.InteractionRespond(it.Payload, &discordgo.InteractionResponse{Type: 5}); err != nil {
		t.Fatal(err)
	}
	content := "slow"
	clock.Advance(14 * time.Minute)
	if _, err := dg.InteractionResponseEdit(it.Payload, &discordgo.WebhookEdit{Content: &content}); err != nil {
		t.Fatalf("edit at 14 min: %v", err)
	}
	clock.Advance(time.Minute + time.Second)
	_, err := dg.InteractionResponseEdit(it.Payload, &discordgo.WebhookEdit{Content: &content})
	if re := restErr(t, err); re.Response.StatusCode != 401 || re.Message.Code != CodeInvalidWebhookToken || re.Message.Message != "Invalid Webhook Token" {
		t.Fatalf("edit after 15 min: %s", re.ResponseBody)
	}
	if _, err := dg.FollowupMessageCreate(it.Payload, true, &discordgo.WebhookParams{Content: "late"}); restErr(t, err).Message.Code != CodeInvalidWebhookToken {
		t.Fatalf("followup after 15 min: %v", err)
	}
	// A new callback is refused too.
	if err := dg.InteractionRespond(it.Payload, &discordgo.InteractionResponse{Type: 5}); restErr(t, err).Message.Code != CodeAlreadyAcknowledged {
		t.Fatalf("callback after 15 min: %v", err)
	}
}

func TestInteraction_MessageCommandCarriesTargetWithoutIntent(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, rec := openSession(t, srv, discordgo.IntentsAllWithoutPrivileged)
	registerCommands(t, srv, dg)
	target, _ := srv.PostMessage(MessageOptions{Content: "my digit", Attachments: []File{{Name: "d.png", Data: pngBytes(t)}}})
	created := rec.wait(t, "MESSAGE_CREATE", func(e *discordgo.Event) bool { return e.Struct.(*discordgo.MessageCreate).ID == target.ID })
	if len(created.Struct.(*discordgo.MessageCreate).Attachments) != 0 {
		t.Fatal("guild message carried attachments without the intent")
	}
	it, err := srv.RunMessageCommand(MessageCommandOptions{Name: "Recognize digit", TargetID: target.ID})
	if err != nil {
		t.Fatal(err)
	}
	ev := rec.wait(t, "INTERACTION_CREATE", nil).Struct.(*discordgo.InteractionCreate)
	d := ev.ApplicationCommandData()
	m := d.Resolved.Messages[d.TargetID]
	if d.TargetID != target.ID || m == nil || m.Content != "my digit" || len(m.Attachments) != 1 {
		t.Fatalf("resolved target %+v", m)
	}
	if err := dg.InteractionRespond(ev.Interaction, &discordgo.InteractionResponse{Type: 4, Data: &discordgo.InteractionResponseData{Content: "8"}}); err != nil {
		t.Fatal(err)
	}
	r, _ := it.WaitResponse(ctxT(t))
	if r.Message.Type != discordgo.MessageTypeContextMenuCommand || it.Ephemeral() {
		t.Fatalf("context menu reply type %d", r.Message.Type)
	}
	// A public reply is dispatched on the gateway.
	rec.wait(t, "MESSAGE_CREATE", func(e *discordgo.Event) bool { return e.Struct.(*discordgo.MessageCreate).ID == r.Message.ID })
}

func TestInteraction_ModalOpenAndSubmit(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, rec := openSession(t, srv, discordgo.IntentsAllWithoutPrivileged)
	msg, _ := dg.ChannelMessageSendComplex(DefaultChannelID, &discordgo.MessageSend{Content: "forget?", Components: []discordgo.MessageComponent{buttonsRow("forget")}})
	it, err := srv.PressButton(ButtonOptions{MessageID: msg.ID, CustomID: "forget"})
	if err != nil {
		t.Fatal(err)
	}
	modal := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseModal, Data: &discordgo.InteractionResponseData{
		CustomID: "confirm", Title: "Type DELETE",
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.TextInput{CustomID: "word", Label: "Word", Style: discordgo.TextInputShort, Required: true}}}}}}
	if err := dg.InteractionRespond(it.Payload, modal); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.SubmitModal(ModalSubmitOptions{Opened: it}); err == nil {
		t.Fatal("submitted without the required input")
	}
	sub, err := srv.SubmitModal(ModalSubmitOptions{Opened: it, Values: map[string]string{"word": "DELETE"}})
	if err != nil {
		t.Fatal(err)
	}
	ev := rec.wait(t, "INTERACTION_CREATE", func(e *discordgo.Event) bool {
		return e.Struct.(*discordgo.InteractionCreate).Type == discordgo.InteractionModalSubmit
	}).Struct.(*discordgo.InteractionCreate)
	data := ev.ModalSubmitData()
	input := data.Components[0].(*discordgo.ActionsRow).Components[0].(*discordgo.TextInput)
	if data.CustomID != "confirm" || input.CustomID != "word" || input.Value != "DELETE" || ev.Message == nil || ev.Message.ID != msg.ID {
		t.Fatalf("modal submit %+v input %+v", data, input)
	}
	// A modal cannot answer a modal submit; type 7 updates the message.
	if err := dg.InteractionRespond(ev.Interaction, modal); restErr(t, err).Message.Code != CodeInvalidFormBody {
		t.Fatalf("modal on modal submit: %v", err)
	}
	if err := dg.InteractionRespond(ev.Interaction, &discordgo.InteractionResponse{Type: 7, Data: &discordgo.InteractionResponseData{Content: "forgotten", Components: []discordgo.MessageComponent{}}}); err != nil {
		t.Fatal(err)
	}
	if final, err := sub.WaitFinal(ctxT(t)); err != nil || final.ID != msg.ID || final.Content != "forgotten" {
		t.Fatalf("final %+v %v", final, err)
	}
}

// Values Discord's client would not let a user submit (outside min_value..
// max_value or min_length..max_length, not a choice) are refused by the
// script, so a caller that converts user input need not check them.
func TestCommands_OptionValuesOutsideTheDefinitionAreRefused(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, _ := srv.NewSession(0)
	one, two := 1.0, 2
	cmds := []*discordgo.ApplicationCommand{{Name: "bounds", Description: "x", Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionInteger, Name: "count", Description: "x", MinValue: &one, MaxValue: 10},
		{Type: discordgo.ApplicationCommandOptionNumber, Name: "ratio", Description: "x", MinValue: &one, MaxValue: 2.5},
		{Type: discordgo.ApplicationCommandOptionNumber, Name: "pick", Description: "x",
			Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "half", Value: 0.5}, {Name: "two", Value: 2}}},
		{Type: discordgo.ApplicationCommandOptionString, Name: "word", Description: "x", MinLength: &two, MaxLength: 3},
	}}}
	if _, err := dg.ApplicationCommandBulkOverwrite(srv.AppID(), "", cmds); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		options map[string]any
		want    string // "" = accepted
	}{
		{"integer at the bounds", map[string]any{"count": 1, "ratio": 2.5}, ""},
		{"integer below", map[string]any{"count": 0}, "below the minimum 1"},
		{"integer above", map[string]any{"count": int64(11)}, "above the maximum 10"},
		{"number below", map[string]any{"ratio": 0.99}, "below the minimum 1"},
		{"number above", map[string]any{"ratio": 2.51}, "above the maximum 2.5"},
		{"number choice", map[string]any{"pick": 0.5}, ""},
		{"number not a choice", map[string]any{"pick": 1.0}, "not one of 0.5, 2"},
		{"string counted in characters", map[string]any{"word": "ñoñ"}, ""},
		{"string too short", map[string]any{"word": "a"}, "shorter than the minimum of 2"},
		{"string too long", map[string]any{"word": "abcd"}, "longer than the maximum of 3"},
		{"integer given as a float", map[string]any{"count": 2.0}, "want an integer"},
	} {
		_, err := srv.RunSlashCommand(CommandOptions{Name: "bounds", Options: tc.options})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
}
