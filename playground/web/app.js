// digitbot playground: a minimal Discord client for the built-in server.
// Native ES modules, no build step (this file is the entry point; the
// others are under js/). Every message is drawn from the JSON the
// playground serves; text always goes through textContent or escapeHTML.

import { state } from "./js/state.js";
import { lang, me, t } from "./js/i18n.js";
import { $, el } from "./js/dom.js";
import { rerenderAll } from "./js/messages.js";
import { connect } from "./js/api.js";
import { clearPad } from "./js/pad.js";
import { cmdLabel, updateHint, updateSend, visibleCommands } from "./js/composer.js";

// ---- switches ----
function renderSwitches() {
  const us = $("user-switch");
  us.textContent = "";
  for (const u of state.info.users) {
    const b = el("button");
    b.type = "button";
    b.dataset.user = u.key;
    b.setAttribute("data-testid", "user-" + u.key);
    b.setAttribute("aria-pressed", String(u.key === state.user));
    b.title = u.manageServer ? t("moderator") : t("member");
    const dot = el("span", "dot", u.name.slice(0, 1));
    dot.style.background = u.color;
    b.append(dot, el("span", null, u.name));
    b.addEventListener("click", () => setUser(u.key));
    us.append(b);
  }
  for (const b of $("locale-switch").children) b.setAttribute("aria-pressed", String(b.dataset.locale === state.locale));
  const u = me();
  $("me-name").textContent = u.name;
  $("me-role").textContent = u.manageServer ? t("moderator") : t("member");
  const av = $("me-avatar");
  av.textContent = u.name.slice(0, 1);
  av.style.background = u.color;
}
function setUser(key) {
  if (key === state.user) return;
  state.user = key;
  localStorage.setItem("digitbot.user", key);
  // A dialog belongs to the user it was shown to.
  if ($("modal").open) $("modal").close();
  renderSwitches();
  renderWelcome();
  connect();
}
// renderWelcome names the commands the bot registered (what this user may
// run) and its message commands, in the page's language.
function renderWelcome() {
  const parts = [];
  const chat = visibleCommands().map((c) => "/" + cmdLabel(c));
  if (chat.length > 0) parts.push(t("welcomeCommands", chat.join(", ")));
  const apps = state.info.commands.filter((c) => c.type === "message").map(cmdLabel);
  if (apps.length > 0) parts.push(t("welcomeApps", apps.join(", ")));
  parts.push(t("welcomeMod"));
  $("welcome2").textContent = parts.join(" ");
}

function applyLanguage() {
  document.documentElement.lang = lang();
  for (const n of document.querySelectorAll("[data-i18n]")) n.textContent = t(n.dataset.i18n);
  $("pad-ink").textContent = state.inkWhite ? t("inkDark") : t("inkLight");
  $("input").placeholder = t("placeholder", state.info.channel.name);
  $("attach").title = t("attach");
  $("locale-switch").title = t("localeHelp");
  renderWelcome();
  renderSwitches();
  rerenderAll();
  updateHint();
}
for (const b of $("locale-switch").children) {
  b.addEventListener("click", () => {
    state.locale = b.dataset.locale;
    localStorage.setItem("digitbot.locale", state.locale);
    applyLanguage();
  });
}

// ---- start ----
async function start() {
  const res = await fetch("/api/state");
  state.info = await res.json();
  if (!state.info.users.some((u) => u.key === state.user)) state.user = state.info.users[0].key;
  if (!state.info.locales.includes(state.locale)) state.locale = state.info.defaultLocale;
  $("channel-name").textContent = state.info.channel.name;
  $("chat-title").textContent = state.info.channel.name;
  clearPad();
  applyLanguage();
  updateSend();
  connect();
}
start();
