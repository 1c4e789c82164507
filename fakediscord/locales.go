package fakediscord

import "strconv"

// discordLocales are the locale keys of
// https://discord.com/developers/docs/reference#locales: the only keys a
// name_localizations or description_localizations dictionary may use.
var discordLocales = map[string]bool{
	"id": true, "da": true, "de": true, "en-GB": true, "en-US": true, "es-ES": true, "es-419": true,
	"fr": true, "hr": true, "it": true, "lt": true, "hu": true, "nl": true, "no": true, "pl": true,
	"pt-BR": true, "ro": true, "fi": true, "sv-SE": true, "vi": true, "tr": true, "cs": true, "el": true,
	"bg": true, "ru": true, "uk": true, "hi": true, "th": true, "zh-CN": true, "ja": true, "zh-TW": true, "ko": true,
}

// validateLocalizations checks a localization dictionary: keys among
// Discord's locales, values under the rules of the field they translate
// ("Values follow the same restrictions as name / description",
// https://discord.com/developers/docs/interactions/application-commands#application-command-object-application-command-structure).
// valid checks one value.
func validateLocalizations(fe *formErrors, p []any, loc map[string]string, valid func(p []any, v string)) {
	for key, v := range loc {
		kp := at(p, key)
		if !discordLocales[key] {
			fe.add(kp, "LOCALE_INVALID", "Invalid locale: "+strconv.Quote(key))
			continue
		}
		valid(kp, v)
	}
}

// validateCommandLocalizations applies the localization rules to a
// command, its options at every depth and their choices. Option names
// carry one more rule: "Localized option names ... must be distinct from
// all other default option names of that command, as well as all other
// option names within that locale on that command"
// (https://discord.com/developers/docs/interactions/application-commands#localization).
func validateCommandLocalizations(fe *formErrors, p []any, c *wireCommand) {
	name := func(typ int) func([]any, string) {
		return func(vp []any, v string) {
			if !validCommandName(typ, v) {
				fe.add(vp, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
			}
		}
	}
	description := func(vp []any, v string) { fe.badLen(vp, v, 1, 100) }
	validateLocalizations(fe, at(p, "name_localizations"), c.NameLocalizations, name(c.Type))
	if c.Type == cmdChatInput || c.Type == 0 {
		validateLocalizations(fe, at(p, "description_localizations"), c.DescriptionLocalizations, description)
	}
	// Option names are compared among the options of one list (a command's
	// or a subcommand's): subcommands are separate commands to the user,
	// and two of them may well both have a "channel" option, so the rule
	// is read per list.
	var walk func(op []any, opts []*wireCommandOption)
	walk = func(op []any, opts []*wireCommandOption) {
		defaults := map[string]bool{}
		for _, o := range opts {
			if o != nil {
				defaults[o.Name] = true
			}
		}
		perLocale := map[string]map[string]bool{}
		for i, o := range opts {
			if o == nil {
				continue
			}
			oq := at(op, i)
			validateLocalizations(fe, at(oq, "name_localizations"), o.NameLocalizations, func(vp []any, v string) {
				name(cmdChatInput)(vp, v)
				locale := vp[len(vp)-1].(string)
				if perLocale[locale] == nil {
					perLocale[locale] = map[string]bool{}
				}
				if (v != o.Name && defaults[v]) || perLocale[locale][v] {
					fe.add(vp, "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option names must be unique")
				}
				perLocale[locale][v] = true
			})
			validateLocalizations(fe, at(oq, "description_localizations"), o.DescriptionLocalizations, description)
			for j, ch := range o.Choices {
				validateLocalizations(fe, at(oq, "choices", j, "name_localizations"), ch.NameLocalizations, func(vp []any, v string) {
					fe.badLen(vp, v, 1, 100)
				})
			}
			walk(at(oq, "options"), o.Options)
		}
	}
	walk(at(p, "options"), c.Options)
}
