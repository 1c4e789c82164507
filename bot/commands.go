package bot

import (
	"github.com/bwmarrin/discordgo"

	"github.com/digitbot/digitbot"
)

// Command names as Discord sends them back in interactions (the default,
// English name, whatever the user's locale).
const (
	cmdPredict   = "predict"
	cmdRecognize = "Recognize digit"
	cmdStats     = "stats"
	cmdHistory   = "history"
	cmdExport    = "export"
	cmdModel     = "model"
	cmdForget    = "forget"
	cmdHelp      = "help"
	cmdConfig    = "config"
)

// historyMax is the most evaluations /history lists (one embed).
const historyMax = 25

// es returns the Spanish localisations of a name or description.
func es(s string) map[discordgo.Locale]string {
	m := make(map[discordgo.Locale]string, len(spanishLocales))
	for _, l := range spanishLocales {
		m[l] = s
	}
	return m
}

// esPtr is es for the fields discordgo declares as pointers.
func esPtr(s string) *map[discordgo.Locale]string {
	m := es(s)
	return &m
}

// desc returns the English description of a catalog entry and its Spanish
// localisations.
func desc(id msgID) (string, map[discordgo.Locale]string) {
	return langEN.t(id), es(langES.t(id))
}

// chatCommand builds a slash command with localised name and description.
func chatCommand(name, nameES string, id msgID, options ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommand {
	en, esDesc := desc(id)
	return &discordgo.ApplicationCommand{
		Type:                     discordgo.ChatApplicationCommand,
		Name:                     name,
		NameLocalizations:        esPtr(nameES),
		Description:              en,
		DescriptionLocalizations: &esDesc,
		Options:                  options,
	}
}

// option builds a localised command option.
func option(typ discordgo.ApplicationCommandOptionType, name, nameES string, id msgID, required bool) *discordgo.ApplicationCommandOption {
	en, esDesc := desc(id)
	return &discordgo.ApplicationCommandOption{
		Type:                     typ,
		Name:                     name,
		NameLocalizations:        es(nameES),
		Description:              en,
		DescriptionLocalizations: esDesc,
		Required:                 required,
	}
}

// Scope choices of /stats.
const (
	scopeMe     = "me"
	scopeServer = "server"
)

// commandDefinitions is what Start registers with a bulk overwrite: every
// slash command and the message context menu.
func commandDefinitions() []*discordgo.ApplicationCommand {
	manageGuild := int64(discordgo.PermissionManageGuild)
	guildOnly := []discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	noDM := false

	limit := option(discordgo.ApplicationCommandOptionInteger, "limit", "cantidad", "cmd.history.limit", false)
	one := 1.0
	limit.MinValue = &one
	limit.MaxValue = historyMax

	scope := option(discordgo.ApplicationCommandOptionString, "scope", "ambito", "cmd.stats.scope", false)
	scope.Choices = []*discordgo.ApplicationCommandOptionChoice{
		{Name: langEN.t("cmd.stats.scope.me"), NameLocalizations: es(langES.t("cmd.stats.scope.me")), Value: scopeMe},
		{Name: langEN.t("cmd.stats.scope.srv"), NameLocalizations: es(langES.t("cmd.stats.scope.srv")), Value: scopeServer},
	}

	channel := func() *discordgo.ApplicationCommandOption {
		o := option(discordgo.ApplicationCommandOptionChannel, "channel", "canal", "cmd.config.channel", true)
		o.ChannelTypes = []discordgo.ChannelType{discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildPublicThread, discordgo.ChannelTypeGuildPrivateThread}
		return o
	}
	percent := option(discordgo.ApplicationCommandOptionInteger, "percent", "porcentaje", "cmd.config.percent", true)
	percent.MinValue = &one
	percent.MaxValue = 99
	learning := option(discordgo.ApplicationCommandOptionString, "state", "estado", "cmd.config.state", true)
	learning.Choices = []*discordgo.ApplicationCommandOptionChoice{
		{Name: langEN.t("cmd.config.state.on"), NameLocalizations: es(langES.t("cmd.config.state.on")), Value: digitbot.LearningOn},
		{Name: langEN.t("cmd.config.state.off"), NameLocalizations: es(langES.t("cmd.config.state.off")), Value: digitbot.LearningOff},
	}
	sub := func(name, nameES string, id msgID, opts ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
		o := option(discordgo.ApplicationCommandOptionSubCommand, name, nameES, id, false)
		o.Options = opts
		return o
	}

	config := chatCommand(cmdConfig, "configurar", "cmd.config",
		sub("show", "ver", "cmd.config.show"),
		sub("watch", "vigilar", "cmd.config.watch", channel()),
		sub("unwatch", "dejar-de-vigilar", "cmd.config.unwatch", channel()),
		sub("threshold", "umbral", "cmd.config.threshold", percent),
		sub("learning", "aprendizaje", "cmd.config.learning", learning),
	)
	// Hidden from members without Manage Server; the handler checks again
	// because server admins can override this default.
	config.DefaultMemberPermissions = &manageGuild
	config.DMPermission = &noDM
	config.Contexts = &guildOnly

	recognize := &discordgo.ApplicationCommand{
		Type:              discordgo.MessageApplicationCommand,
		Name:              cmdRecognize,
		NameLocalizations: esPtr("Reconocer dígito"),
	}

	return []*discordgo.ApplicationCommand{
		chatCommand(cmdPredict, "predecir", "cmd.predict",
			option(discordgo.ApplicationCommandOptionAttachment, "image", "imagen", "cmd.predict.image", true)),
		recognize,
		chatCommand(cmdStats, "estadisticas", "cmd.stats", scope,
			option(discordgo.ApplicationCommandOptionUser, "user", "usuario", "cmd.stats.user", false)),
		chatCommand(cmdHistory, "historial", "cmd.history", limit),
		chatCommand(cmdExport, "exportar", "cmd.export"),
		chatCommand(cmdModel, "modelo", "cmd.model"),
		chatCommand(cmdForget, "olvidar", "cmd.forget"),
		chatCommand(cmdHelp, "ayuda", "cmd.help"),
		config,
	}
}
