// Package fakediscord is an in-process Discord: gateway, REST API and CDN on
// one loopback listener, faithful enough that an unmodified discordgo
// session (and discord.js, see crosscheck/) connects, receives events and
// sends messages and interaction responses, and strict enough to refuse what
// Discord refuses.
//
// What it enforces, like Discord: the bot token (gateway close 4004, REST
// 401), privileged intents (close 4014 when the Message Content intent is
// asked for but not allowed), the Message Content rule (guild messages that
// do not mention the bot arrive without content, attachments, embeds or
// components; DMs, mentions and context-menu targets keep them), the 3 s
// first-response window (then 10062 "Unknown interaction"), one initial
// response (40060), the 15 min token lifetime (then 401 50027 "Invalid
// Webhook Token"; a token never acknowledged answers 404 10015),
// component limits (5 rows, 5 buttons a row, custom_id 1–100 characters,
// unique ids, labels ≤ 80), modals (type 9 only as the first response and
// never to a MODAL_SUBMIT; title ≤ 45, 1–5 rows of one text input with its
// style, length, value and placeholder limits), embed limits, 2000-character content, the file
// size limit (413, 40005), command name and description rules and their
// localizations (locale keys, value rules, distinct localized option
// names), channel permissions (403 50013 "Missing Permissions": Send
// Messages, Send Messages in Threads in a thread, Read Message History for
// a reply, Embed Links, Attach Files; SetBotPermissions changes them), and
// with Options.MaxConcurrency the IDENTIFY limit per rate_limit_key (op 9),
// and sharding (shards.go): events routed by (guild_id >> 22) % num_shards
// with DMs to shard 0, close 4010 for an invalid shard and 4011 for a
// session that would hold too many servers, GET /gateway/bot with the
// recommended shard count and a session start limit that IDENTIFYs use up.
// What Discord accepts but shows wrongly is reported on the stored
// Message: Unrendered (markup shown raw, e.g. a timestamp style Discord
// does not have) and ShownTwice (a picture both attached and shown in an
// embed through its CDN URL instead of attachment://). Deadlines are
// measured on Options.Clock, so tests jump past them with a FakeClock.
//
// A test starts a server with New, points a discordgo session at it with
// Configure (the session's REST client is rewritten to the server; the
// package-level Endpoint variables are not touched), and scripts users with
// PostMessage (with mentions of the bot or of its managed role, replies,
// forwards carried in message_snapshots, threads), RunSlashCommand,
// RunMessageCommand, PressButton and SubmitModal (which refuses what
// Discord's client would not submit). What the
// bot did is read back with WaitMessage, Messages, Interaction.WaitResponse
// and Interaction.WaitFinal, or streamed with Subscribe. Faults are injected
// with RateLimit (429 on a route or global), DropConnections (the client
// resumes and gets missed events replayed), DropShard (the same for one
// shard's sessions), SendReconnect (op 7),
// InvalidateSession (op 9), Blip (lost heartbeat ACKs), RevokeToken (4004
// while running), RemoveBotFromGuild and GuildOutage (GUILD_DELETE without /
// with "unavailable").
//
// A clean client close (1000/1001) ends the gateway session as on Discord:
// discordgo closes with 1000 when it gives up on missing heartbeat ACKs, so
// its RESUME then gets op 9 and it identifies again; Blip stalls the
// network that way. READY's resume_gateway_url is a second port, and
// ResumeInfo.ResumeURL says whether a client resumed there.
//
// Attachments get real-looking signed https://cdn.discordapp.com URLs;
// HTTPClient returns a client that fetches them from the server and refuses
// any non-Discord host, so a bot's download allow-list can stay strict.
//
// The package does not import "testing": it is also built into the digitbot
// binary for the playground. New takes the small TB interface instead.
package fakediscord
