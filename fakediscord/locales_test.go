package fakediscord

import (
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

func TestCommands_LocalizationsValidated(t *testing.T) {
	t.Parallel()
	srv := New(t, Options{})
	dg, _ := srv.NewSession(0)
	opt := func(name string, loc map[discordgo.Locale]string) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name, Description: name, NameLocalizations: loc}
	}
	good := &discordgo.ApplicationCommand{Name: "stats", Description: "stats",
		NameLocalizations:        &map[discordgo.Locale]string{discordgo.SpanishES: "estadisticas", "es-419": "estadisticas"},
		DescriptionLocalizations: &map[discordgo.Locale]string{discordgo.SpanishES: "estadísticas"},
		Options:                  []*discordgo.ApplicationCommandOption{opt("scope", map[discordgo.Locale]string{"es-ES": "ambito"}), opt("user", map[discordgo.Locale]string{"es-ES": "usuario"})}}
	if _, err := dg.ApplicationCommandBulkOverwrite(srv.AppID(), "", []*discordgo.ApplicationCommand{good}); err != nil {
		t.Fatalf("valid localizations refused: %v", err)
	}
	bad := []struct {
		name string
		cmd  *discordgo.ApplicationCommand
		want string
	}{
		{"unknown locale key", &discordgo.ApplicationCommand{Name: "x", Description: "x",
			NameLocalizations: &map[discordgo.Locale]string{"es": "equis"}}, "LOCALE_INVALID"},
		{"uppercase localized name", &discordgo.ApplicationCommand{Name: "x", Description: "x",
			NameLocalizations: &map[discordgo.Locale]string{"es-ES": "Equis"}}, "APPLICATION_COMMAND_INVALID_NAME"},
		{"localized description over 100", &discordgo.ApplicationCommand{Name: "x", Description: "x",
			DescriptionLocalizations: &map[discordgo.Locale]string{"es-ES": strings.Repeat("d", 101)}}, "description_localizations"},
		{"localized option names collide in a locale", &discordgo.ApplicationCommand{Name: "x", Description: "x", Options: []*discordgo.ApplicationCommandOption{
			opt("a", map[discordgo.Locale]string{"es-ES": "igual"}), opt("b", map[discordgo.Locale]string{"es-ES": "igual"})}}, "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS"},
		{"localized option name is another option's name", &discordgo.ApplicationCommand{Name: "x", Description: "x", Options: []*discordgo.ApplicationCommandOption{
			opt("a", map[discordgo.Locale]string{"es-ES": "b"}), opt("b", nil)}}, "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS"},
	}
	for _, b := range bad {
		_, err := dg.ApplicationCommandBulkOverwrite(srv.AppID(), "", []*discordgo.ApplicationCommand{b.cmd})
		if err == nil {
			t.Errorf("%s: accepted", b.name)
			continue
		}
		if re := restErr(t, err); re.Message.Code != CodeInvalidFormBody || !strings.Contains(string(re.ResponseBody), b.want) {
			t.Errorf("%s: %s", b.name, re.ResponseBody)
		}
	}
}
