// Cross-check: an independent Discord client (discord.js v14) against the
// in-repo server. Driven by TestCrossCheck_DiscordJS: it prints one JSON
// object per line on stdout for each step, and the Go test scripts users on
// the server side in between.
//
// usage: node index.js <server base URL> <bot token> <channel id>
'use strict';

const crypto = require('node:crypto');
const { Client, GatewayIntentBits, ActionRowBuilder, ButtonBuilder, ButtonStyle, Events, ApplicationCommandOptionType, ApplicationCommandType } = require('discord.js');

const [base, token, channelId] = process.argv.slice(2);
if (!base || !token || !channelId) {
  console.error('usage: node index.js <base URL> <token> <channel id>');
  process.exit(2);
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function fail(step, err) {
  emit({ event: 'error', step, message: String(err && err.stack ? err.stack : err) });
  process.exit(1);
}

// Attachment URLs are production CDN URLs; fetch them from the server the
// same way the Go rewriting transport does (same path and signed query).
function onServer(url) {
  const u = new URL(url);
  return base + u.pathname + u.search;
}

const client = new Client({
  intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages],
  rest: { api: base + '/api' },
});

client.on(Events.Debug, (m) => process.stderr.write('[debug] ' + m + '\n'));
client.on(Events.Error, (e) => fail('client', e));

client.once(Events.ClientReady, async (c) => {
  try {
    const guilds = c.guilds.cache.map((g) => ({ id: g.id, name: g.name, channels: g.channels.cache.map((ch) => ch.id) }));
    const commands = await c.application.commands.set([
      { name: 'predict', description: 'Recognise a digit', options: [{ type: ApplicationCommandOptionType.Attachment, name: 'image', description: 'the image', required: true }] },
      { name: 'Recognize digit', type: ApplicationCommandType.Message },
    ]);
    emit({ event: 'ready', user: c.user.id, application: c.application.id, guilds, commands: commands.map((x) => x.name) });
  } catch (e) {
    fail('ready', e);
  }
});

client.on(Events.MessageCreate, async (m) => {
  if (m.author.id === client.user.id) return;
  try {
    const atts = [];
    for (const a of m.attachments.values()) {
      const res = await fetch(onServer(a.url));
      const buf = Buffer.from(await res.arrayBuffer());
      atts.push({ name: a.name, url: a.url, size: a.size, contentType: a.contentType, width: a.width, height: a.height,
        status: res.status, sha256: crypto.createHash('sha256').update(buf).digest('hex') });
    }
    emit({ event: 'message', id: m.id, channel: m.channelId, guild: m.guildId, author: m.author.id, content: m.content,
      mentionsBot: m.mentions.users.has(client.user.id), attachments: atts });
    const row = new ActionRowBuilder().addComponents(
      new ButtonBuilder().setCustomId('right').setLabel('Right').setStyle(ButtonStyle.Success),
      new ButtonBuilder().setCustomId('wrong').setLabel('Wrong').setStyle(ButtonStyle.Danger),
    );
    const sent = await m.reply({ content: 'Is it a 7?', components: [row], files: [{ attachment: Buffer.from('saw it'), name: 'saw.txt', description: 'what the bot saw' }] });
    emit({ event: 'sent', id: sent.id, components: sent.components.map((r) => r.components.map((b) => b.customId)), attachments: sent.attachments.map((a) => ({ name: a.name, description: a.description })) });
  } catch (e) {
    fail('message', e);
  }
});

client.on(Events.InteractionCreate, async (i) => {
  try {
    if (!i.isButton()) return;
    emit({ event: 'interaction', id: i.id, customId: i.customId, user: i.user.id, message: i.message.id, locale: i.locale });
    await i.update({ content: 'You said: ' + i.customId, components: [] });
    await i.followUp({ content: 'thanks', ephemeral: true });
    emit({ event: 'answered', id: i.id });
    await client.destroy();
    emit({ event: 'done' });
    process.exit(0);
  } catch (e) {
    fail('interaction', e);
  }
});

client.login(token).catch((e) => fail('login', e));
setTimeout(() => fail('timeout', 'no interaction within 60 s'), 60_000).unref();
