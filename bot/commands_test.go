package bot_test

import (
	"bytes"
	"encoding/csv"
	"image/png"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/fakediscord"
)

// evaluate posts a picture as who in the watched channel and presses the
// digit truth on the answer.
func (h *harness) evaluate(who *discordgo.User, name string, truth string) {
	h.t.Helper()
	msg := h.post(fakediscord.MessageOptions{ChannelID: channelID, Author: who, Attachments: []fakediscord.File{testImage(h.t, name)}})
	r := h.replyTo(msg.ID)
	h.final(h.press(r, buttonID(h.t, r, truth), who, "en-US"))
}

func TestBot_Commands_AreRegisteredWithSpanishNames(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	cmds := map[string]*discordgo.ApplicationCommand{}
	for _, c := range h.srv.Commands(guildID) {
		cmds[c.Name] = c
	}
	want := map[string]string{
		"predict": "predecir", "stats": "estadisticas", "history": "historial", "export": "exportar",
		"model": "modelo", "forget": "olvidar", "help": "ayuda", "config": "configurar", "Recognize digit": "Reconocer dígito",
	}
	for en, es := range want {
		c := cmds[en]
		if c == nil {
			t.Errorf("command %q not registered", en)
			continue
		}
		for _, loc := range []discordgo.Locale{discordgo.SpanishES, discordgo.SpanishLATAM} {
			if c.NameLocalizations == nil || (*c.NameLocalizations)[loc] != es {
				t.Errorf("%s: %s name = %v, want %q", en, loc, c.NameLocalizations, es)
			}
			if c.Type == discordgo.ChatApplicationCommand && (c.DescriptionLocalizations == nil || (*c.DescriptionLocalizations)[loc] == "") {
				t.Errorf("%s: no %s description", en, loc)
			}
		}
	}
	if c := cmds["Recognize digit"]; c != nil && c.Type != discordgo.MessageApplicationCommand {
		t.Errorf("Recognize digit is type %d, want a message command", c.Type)
	}
}

func TestBot_SlashPredict_DefersThenShowsThePrediction(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	in := h.slash(fakediscord.CommandOptions{Name: "predict", Actor: fakediscord.Actor{User: alice},
		Options: map[string]any{"image": testImage(t, "digit-3.png")}})
	resp, err := in.WaitResponse(h.ctx())
	if err != nil {
		t.Fatal(err)
	}
	if resp.Type != int(discordgo.InteractionResponseDeferredChannelMessageWithSource) {
		t.Errorf("first response type %d, want 5 (defer before the work)", resp.Type)
	}
	m := h.final(in)
	if len(m.Embeds) != 1 || !strings.HasPrefix(m.Embeds[0].Description, "# 3") {
		t.Fatalf("answer: %s", embedText(m))
	}
	if in.Ephemeral() {
		t.Errorf("a prediction should be visible in the channel")
	}
	if _, ok := m.File("seen-1.png"); !ok {
		t.Errorf("no 'what I saw' picture: %+v", m.Files)
	}
	// The person who ran /predict may evaluate it.
	e := h.final(h.press(m, buttonID(t, m, "3"), alice, "en-US"))
	if !strings.Contains(embedText(e), "✅") {
		t.Errorf("evaluation of a /predict answer: %s", embedText(e))
	}
}

func TestBot_SlashPredict_InSpanish(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	in := h.slash(fakediscord.CommandOptions{Name: "predict", Actor: fakediscord.Actor{User: alice, Locale: "es-419"},
		Options: map[string]any{"image": testImage(t, "digit-6.png")}})
	m := h.final(in)
	if !strings.Contains(embedText(m), "Predicción del modelo") {
		t.Errorf("not Spanish: %s", embedText(m))
	}
}

func TestBot_ContextMenu_RecognizesAnotherMembersImage_PosterEvaluates(t *testing.T) {
	t.Parallel()
	o := defaultHarness()
	o.watched = nil
	h := newHarness(t, o)
	msg := h.post(fakediscord.MessageOptions{ChannelID: otherChannelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-8.png")}})
	in, err := h.srv.RunMessageCommand(fakediscord.MessageCommandOptions{Name: "Recognize digit", TargetID: msg.ID, Actor: fakediscord.Actor{User: bob}})
	if err != nil {
		t.Fatal(err)
	}
	m := h.final(in)
	if len(m.Embeds) != 1 || !strings.HasPrefix(m.Embeds[0].Description, "# 8") {
		t.Fatalf("answer: %s", embedText(m))
	}
	refusal := h.press(m, buttonID(t, m, "8"), bob, "en-US")
	if !refusal.Ephemeral() {
		t.Errorf("bob, who only ran the menu, could evaluate alice's image")
	}
	h.final(h.press(m, buttonID(t, m, "8"), alice, "en-US"))
	if n := h.evaluations(digitbot.Scope{UserID: aliceID}); n != 1 {
		t.Errorf("alice's evaluation not stored: %d", n)
	}
}

func TestBot_ContextMenu_MessageWithoutImage_SaysSoPrivately(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	msg := h.post(fakediscord.MessageOptions{ChannelID: otherChannelID, Author: alice, Content: "no picture here"})
	in, err := h.srv.RunMessageCommand(fakediscord.MessageCommandOptions{Name: "Recognize digit", TargetID: msg.ID, Actor: fakediscord.Actor{User: alice}})
	if err != nil {
		t.Fatal(err)
	}
	m := h.final(in)
	if !in.Ephemeral() || !strings.Contains(m.Content, "no image") {
		t.Errorf("ephemeral=%v content=%q", in.Ephemeral(), m.Content)
	}
}

func TestBot_StatsMe_SendsChartOfOwnEvaluations(t *testing.T) {
	t.Parallel()
	h := newHarness(t, realHarness())
	h.evaluate(alice, "digit-7.png", "7")
	h.evaluate(alice, "digit-1.png", "1")
	h.evaluate(bob, "digit-2.png", "2")
	in := h.slash(fakediscord.CommandOptions{Name: "stats", Actor: fakediscord.Actor{User: alice}})
	m := h.final(in)
	if !in.Ephemeral() {
		t.Errorf("/stats me should be private")
	}
	if !strings.Contains(embedText(m), "2 evaluations") {
		t.Errorf("summary does not count alice's 2 evaluations: %s", embedText(m))
	}
	f, ok := m.File("stats.png")
	if !ok {
		t.Fatalf("no chart attached: %+v", m.Files)
	}
	if _, err := png.Decode(bytes.NewReader(f.Data)); err != nil {
		t.Errorf("chart is not a PNG: %v", err)
	}
}

func TestBot_StatsServer_WithoutManageServer_IsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	h.evaluate(alice, "digit-7.png", "7")
	in := h.slash(fakediscord.CommandOptions{Name: "stats", Actor: fakediscord.Actor{User: alice}, Options: map[string]any{"scope": "server"}})
	m := h.final(in)
	if !in.Ephemeral() || !strings.Contains(m.Content, "Manage Server") {
		t.Errorf("ephemeral=%v content=%q", in.Ephemeral(), m.Content)
	}
	if len(m.Files) != 0 {
		t.Errorf("server stats were sent without permission")
	}
	in = h.slash(fakediscord.CommandOptions{Name: "stats", Actor: fakediscord.Actor{User: alice}, Options: map[string]any{"user": bobID}})
	if m := h.final(in); !strings.Contains(m.Content, "Manage Server") || len(m.Files) != 0 {
		t.Errorf("another member's stats without permission: %q files=%d", m.Content, len(m.Files))
	}
}

func TestBot_StatsServer_WithManageServer_CountsEveryone(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	h.evaluate(alice, "digit-7.png", "7")
	h.evaluate(bob, "digit-2.png", "3")
	perms := manageGuild
	in := h.slash(fakediscord.CommandOptions{Name: "stats", Actor: fakediscord.Actor{User: bob, Permissions: &perms}, Options: map[string]any{"scope": "server"}})
	m := h.final(in)
	if !strings.Contains(embedText(m), "2 evaluations") || !strings.Contains(embedText(m), "50.0% right") {
		t.Errorf("server summary: %s", embedText(m))
	}
	if _, ok := m.File("stats.png"); !ok {
		t.Errorf("no chart")
	}
	in = h.slash(fakediscord.CommandOptions{Name: "stats", Actor: fakediscord.Actor{User: bob, Permissions: &perms}, Options: map[string]any{"user": aliceID}})
	if m := h.final(in); !strings.Contains(embedText(m), "1 evaluations") {
		t.Errorf("alice's stats for a moderator: %s", embedText(m))
	}
}

func TestBot_StatsServer_InDM_SaysOnlyInAServer(t *testing.T) {
	t.Parallel()
	o := defaultHarness()
	o.globalCommands = true
	h := newHarness(t, o)
	in := h.slash(fakediscord.CommandOptions{Name: "stats", Actor: fakediscord.Actor{User: alice, DM: true}, Options: map[string]any{"scope": "server"}})
	if m := h.final(in); !strings.Contains(m.Content, "only works in a server") {
		t.Errorf("content = %q", m.Content)
	}
}

func TestBot_StatsWithNoEvaluations_SaysNoStatistics(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	in := h.slash(fakediscord.CommandOptions{Name: "stats", Actor: fakediscord.Actor{User: alice, Locale: "es-ES"}})
	if m := h.final(in); !strings.Contains(m.Content, "No hay estadísticas disponibles") {
		t.Errorf("content = %q", m.Content)
	}
}

func TestBot_History_ListsOwnEvaluationsPrivately(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	h.evaluate(alice, "digit-7.png", "7")
	h.evaluate(alice, "digit-4.png", "9")
	h.evaluate(bob, "digit-2.png", "2")
	in := h.slash(fakediscord.CommandOptions{Name: "history", Actor: fakediscord.Actor{User: alice}, Options: map[string]any{"limit": 5}})
	m := h.final(in)
	if !in.Ephemeral() {
		t.Errorf("history is not private")
	}
	text := embedText(m)
	for _, want := range []string{"last 2 evaluations", "digit-7.png", "digit-4.png", "→ **9** ❌", "→ **7** ✅", "<t:"} {
		if !strings.Contains(text, want) {
			t.Errorf("history lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "digit-2.png") {
		t.Errorf("history shows bob's evaluation:\n%s", text)
	}
	if len(m.Unrendered) > 0 {
		t.Errorf("Discord would show %q as raw text:\n%s", m.Unrendered, text)
	}
	// Newest first.
	if strings.Index(text, "digit-4.png") > strings.Index(text, "digit-7.png") {
		t.Errorf("history is not newest first:\n%s", text)
	}
}

func TestBot_Export_SendsOwnEvaluationsAsCSV(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	h.evaluate(alice, "digit-7.png", "7")
	h.evaluate(alice, "digit-3.png", "3")
	h.evaluate(bob, "digit-2.png", "2")
	in := h.slash(fakediscord.CommandOptions{Name: "export", Actor: fakediscord.Actor{User: alice}})
	m := h.final(in)
	if !in.Ephemeral() {
		t.Errorf("export is not private")
	}
	f, ok := m.File("digitbot-evaluations.csv")
	if !ok {
		t.Fatalf("no CSV: %+v (%q)", m.Files, m.Content)
	}
	rows, err := csv.NewReader(bytes.NewReader(f.Data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("CSV has %d rows, want header + 2: %v", len(rows), rows)
	}
	if strings.Contains(string(f.Data), "digit-2.png") || strings.Contains(string(f.Data), bobID) {
		t.Errorf("export contains bob's data:\n%s", f.Data)
	}
	if !strings.Contains(m.Content, "2 evaluations") {
		t.Errorf("content %q", m.Content)
	}
}

func TestBot_Model_ShowsTheModelCard(t *testing.T) {
	t.Parallel()
	h := newHarness(t, realHarness())
	cls, _ := sharedClassifier()
	card := cls.Card()
	in := h.slash(fakediscord.CommandOptions{Name: "model", Actor: fakediscord.Actor{User: alice}})
	m := h.final(in)
	text := embedText(m)
	for _, want := range []string{card.Name, card.ONNXSHA256, "onnx-go", "Test accuracy", card.Layers[0].Name, "Parameters", "Model running", "the one built into the bot", "Training data"} {
		if !strings.Contains(text, want) {
			t.Errorf("/model lacks %q:\n%s", want, text)
		}
	}
	in = h.slash(fakediscord.CommandOptions{Name: "model", Actor: fakediscord.Actor{User: alice, Locale: "es-ES"}})
	if text := embedText(h.final(in)); !strings.Contains(text, "Red Neuronal Convolucional") || !strings.Contains(text, "Capas") && !strings.Contains(text, "Parámetros") {
		t.Errorf("Spanish /model:\n%s", text)
	}
}

func TestBot_Forget_AfterConfirm_DeletesEverythingAboutTheUser(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	h.evaluate(alice, "digit-7.png", "7")
	h.evaluate(bob, "digit-2.png", "2")
	in := h.slash(fakediscord.CommandOptions{Name: "forget", Actor: fakediscord.Actor{User: alice}})
	ask := h.final(in)
	if !in.Ephemeral() || !strings.Contains(ask.Content, "can't be undone") {
		t.Fatalf("confirmation: ephemeral=%v %q", in.Ephemeral(), ask.Content)
	}
	if n := h.evaluations(digitbot.Scope{UserID: aliceID}); n != 1 {
		t.Fatalf("data deleted before confirming: %d evaluations left", n)
	}
	done := h.final(h.press(ask, buttonID(t, ask, "Delete my data"), alice, "en-US"))
	if !strings.Contains(done.Content, "has been deleted") {
		t.Errorf("after confirm: %q", done.Content)
	}
	if n := h.evaluations(digitbot.Scope{UserID: aliceID}); n != 0 {
		t.Errorf("%d of alice's evaluations left", n)
	}
	if n := h.evaluations(digitbot.Scope{UserID: bobID}); n != 1 {
		t.Errorf("bob's evaluation was deleted too")
	}
}

func TestBot_Forget_Cancel_DeletesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	h.evaluate(alice, "digit-7.png", "7")
	ask := h.final(h.slash(fakediscord.CommandOptions{Name: "forget", Actor: fakediscord.Actor{User: alice, Locale: "es-ES"}}))
	done := h.final(h.press(ask, buttonID(t, ask, "Cancelar"), alice, "es-ES"))
	if !strings.Contains(done.Content, "No se ha borrado nada") {
		t.Errorf("after cancel: %q", done.Content)
	}
	if n := h.evaluations(digitbot.Scope{UserID: aliceID}); n != 1 {
		t.Errorf("cancel deleted data: %d left", n)
	}
}

func TestBot_Help_ExplainsEveryWayToUseTheBot(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	m := h.final(h.slash(fakediscord.CommandOptions{Name: "help", Actor: fakediscord.Actor{User: alice}}))
	text := embedText(m)
	for _, want := range []string{"/predict", "Recognize digit", "/stats", "/history", "/export", "/model", "/forget", "70.0%"} {
		if !strings.Contains(text, want) {
			t.Errorf("/help lacks %q", want)
		}
	}
}

func TestBot_Config_ModeratorWatchesChannel_ThenImagesThereAreAnswered(t *testing.T) {
	t.Parallel()
	o := defaultHarness()
	o.watched = nil
	h := newHarness(t, o)
	perms := manageGuild
	in := h.slash(fakediscord.CommandOptions{Name: "config", Subcommand: "watch", Actor: fakediscord.Actor{User: bob, Permissions: &perms},
		Options: map[string]any{"channel": otherChannelID}})
	if m := h.final(in); !strings.Contains(m.Content, "I now watch <#"+otherChannelID+">") {
		t.Fatalf("watch: %q", m.Content)
	}
	msg := h.post(fakediscord.MessageOptions{ChannelID: otherChannelID, Author: alice, Attachments: []fakediscord.File{testImage(t, "digit-9.png")}})
	if r := h.replyTo(msg.ID); !strings.HasPrefix(r.Embeds[0].Description, "# 9") {
		t.Errorf("answer in the newly watched channel: %s", embedText(r))
	}

	in = h.slash(fakediscord.CommandOptions{Name: "config", Subcommand: "threshold", Actor: fakediscord.Actor{User: bob, Permissions: &perms},
		Options: map[string]any{"percent": 99}})
	if m := h.final(in); !strings.Contains(m.Content, "99.0%") {
		t.Fatalf("threshold: %q", m.Content)
	}
	cfg, err := h.st.GuildConfig(h.ctx(), guildID)
	if err != nil || cfg.Threshold != 0.99 || !cfg.Watches(otherChannelID) || cfg.UpdatedBy != bobID {
		t.Errorf("stored config %+v, %v", cfg, err)
	}

	in = h.slash(fakediscord.CommandOptions{Name: "config", Subcommand: "unwatch", Actor: fakediscord.Actor{User: bob, Permissions: &perms},
		Options: map[string]any{"channel": otherChannelID}})
	if m := h.final(in); !strings.Contains(m.Content, "no longer watch") {
		t.Errorf("unwatch: %q", m.Content)
	}
}

func TestBot_Config_LearningOff_IsStoredAndShown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultHarness())
	perms := manageGuild
	show := h.final(h.slash(fakediscord.CommandOptions{Name: "config", Subcommand: "show", Actor: fakediscord.Actor{User: bob, Permissions: &perms}}))
	if text := embedText(show); !strings.Contains(text, "on: the digits members confirm here may be exported") {
		t.Errorf("/config show before any change does not say learning is on: %s", text)
	}
	in := h.slash(fakediscord.CommandOptions{Name: "config", Subcommand: "learning", Actor: fakediscord.Actor{User: bob, Permissions: &perms, Locale: "es-ES"},
		Options: map[string]any{"state": digitbot.LearningOff}})
	m := h.final(in)
	if !strings.Contains(m.Content, "Aprendizaje desactivado") || !strings.Contains(embedText(m), "desactivado: nada de este servidor") {
		t.Errorf("learning off, in Spanish: %q / %s", m.Content, embedText(m))
	}
	cfg, err := h.st.GuildConfig(h.ctx(), guildID)
	if err != nil || cfg.Learning != digitbot.LearningOff || cfg.Contributes() || cfg.UpdatedBy != bobID {
		t.Errorf("stored config %+v, %v", cfg, err)
	}
	in = h.slash(fakediscord.CommandOptions{Name: "config", Subcommand: "learning", Actor: fakediscord.Actor{User: bob, Permissions: &perms},
		Options: map[string]any{"state": digitbot.LearningOn}})
	if m := h.final(in); !strings.Contains(m.Content, "Learning turned on") {
		t.Errorf("learning on: %q", m.Content)
	}
	if cfg, _ := h.st.GuildConfig(h.ctx(), guildID); cfg.Learning != digitbot.LearningOn {
		t.Errorf("learning back on: stored %+v", cfg)
	}
}
