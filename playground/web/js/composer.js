// The message box: attachments, slash commands (offered from what the bot registered), sending.

import { state } from "./state.js";
import { lang, me, t } from "./i18n.js";
import { $, el, humanBytes } from "./dom.js";
import { upsert } from "./messages.js";
import { api, toast } from "./api.js";
import { clearPad, padFile } from "./pad.js";

// ---- attachments: picker, drag and drop, paste ----
function addFiles(list) {
  for (const f of list) {
    if (!f.type.startsWith("image/")) continue;
    if (f.size > state.info.maxUploadBytes) {
      toast(t("tooBig", f.name, humanBytes(f.size), humanBytes(state.info.maxUploadBytes)));
      continue;
    }
    if (state.files.length >= 10) break;
    state.files.push(f);
  }
  renderChips();
}
function renderChips() {
  const box = $("attachments");
  box.textContent = "";
  state.files.forEach((f, i) => {
    const chip = el("div", "chip");
    const img = document.createElement("img");
    img.src = URL.createObjectURL(f);
    img.alt = "";
    img.onload = () => URL.revokeObjectURL(img.src);
    const x = el("button", null, "✕");
    x.type = "button";
    x.title = t("removeFile");
    x.addEventListener("click", () => { state.files.splice(i, 1); renderChips(); });
    chip.append(img, el("span", null, f.name), x);
    box.append(chip);
  });
  updateSend();
}
$("attach").addEventListener("click", () => $("file").click());
$("file").addEventListener("change", () => { addFiles($("file").files); $("file").value = ""; });
let dragDepth = 0;
const chat = $("chat");
chat.addEventListener("dragenter", (ev) => { if (hasFiles(ev)) { ev.preventDefault(); dragDepth++; $("drop").hidden = false; } });
chat.addEventListener("dragover", (ev) => { if (hasFiles(ev)) ev.preventDefault(); });
chat.addEventListener("dragleave", () => { if (--dragDepth <= 0) { dragDepth = 0; $("drop").hidden = true; } });
chat.addEventListener("drop", (ev) => {
  ev.preventDefault();
  dragDepth = 0;
  $("drop").hidden = true;
  if (ev.dataTransfer && ev.dataTransfer.files.length) addFiles(ev.dataTransfer.files);
});
const hasFiles = (ev) => ev.dataTransfer && [...ev.dataTransfer.types].includes("Files");
window.addEventListener("paste", (ev) => {
  const files = ev.clipboardData ? [...ev.clipboardData.files] : [];
  if (files.length) { ev.preventDefault(); addFiles(files); }
});

// ---- commands ----
export function visibleCommands() {
  return state.info.commands.filter((c) => c.type === "chat" && (!c.moderatorOnly || me().manageServer));
}
export function cmdLabel(c) { return lang() === "es" && c.nameEs ? c.nameEs : c.name; }
function cmdDesc(c) { return lang() === "es" && c.descriptionEs ? c.descriptionEs : c.description; }
function optLabel(o) { return lang() === "es" && o.nameEs ? o.nameEs : o.name; }
function findCommand(name) {
  name = name.toLowerCase();
  return state.info.commands.find((c) => c.type === "chat" && (c.name === name || (c.nameEs || "").toLowerCase() === name));
}

function updatePopup() {
  const v = $("input").value;
  const m = /^\/(\S*)$/.exec(v);
  const popup = $("cmd-popup");
  if (!m) { popup.hidden = true; updateHint(); return; }
  const q = m[1].toLowerCase();
  const cmds = visibleCommands().filter((c) => c.name.startsWith(q) || cmdLabel(c).toLowerCase().startsWith(q));
  const ul = $("cmd-list");
  ul.textContent = "";
  if (!cmds.length) { popup.hidden = true; updateHint(); return; }
  state.popupIndex = Math.min(state.popupIndex, cmds.length - 1);
  cmds.forEach((c, i) => {
    const li = el("li", i === state.popupIndex ? "active" : "");
    li.setAttribute("data-testid", "command-" + c.name);
    li.append(el("span", "cmd-name", "/" + cmdLabel(c)), el("span", "cmd-desc", cmdDesc(c)));
    if (c.moderatorOnly) li.append(el("span", "cmd-mod", t("modOnly")));
    li.addEventListener("mousedown", (ev) => { ev.preventDefault(); pickCommand(c); });
    ul.append(li);
  });
  popup.hidden = false;
  updateHint();
}
function pickCommand(c) {
  $("input").value = "/" + cmdLabel(c) + " ";
  $("cmd-popup").hidden = true;
  $("input").focus();
  updateHint();
  updateSend();
}
// updateHint shows the options of the command being typed, as clickable
// chips that fill them in.
export function updateHint() {
  const hint = $("cmd-hint");
  const m = /^\/(\S+)\s/.exec($("input").value);
  const c = m && findCommand(m[1]);
  if (!c || !$("cmd-popup").hidden) { hint.hidden = true; return; }
  hint.textContent = "";
  hint.append(el("span", "cmd-name", "/" + cmdLabel(c)), el("span", null, cmdDesc(c)));
  const addOpt = (text, insert) => {
    const b = el("button", "opt", text);
    b.type = "button";
    b.addEventListener("click", () => {
      const input = $("input");
      input.value = input.value.replace(/\s*$/, " ") + insert + " ";
      input.focus();
    });
    hint.append(b);
  };
  for (const o of c.options || []) {
    if (o.type === "attachment") { hint.append(el("span", "opt-name", optLabel(o) + ":"), el("span", null, t("predictHint"))); continue; }
    if (o.type === "subcommand") { addOpt(optLabel(o), optLabel(o)); continue; }
    hint.append(el("span", "opt-name", optLabel(o) + ":"));
    if (o.choices) for (const ch of o.choices) addOpt(lang() === "es" && ch.nameEs ? ch.nameEs : ch.name, optLabel(o) + ":" + ch.value);
    else if (o.type === "user") for (const u of state.info.users) addOpt("@" + u.name, optLabel(o) + ":@" + u.name);
    else if (o.type === "integer") addOpt(String(o.min ?? 1) + "…" + String(o.max ?? ""), optLabel(o) + ":" + String(o.max ? Math.min(10, o.max) : 10));
    else if (o.type === "channel") addOpt("#" + state.info.channel.name, optLabel(o) + ":#" + state.info.channel.name);
  }
  hint.hidden = false;
}

// parseCommand reads "/name [sub] key:value key:"two words"".
function parseCommand(text) {
  const tokens = [...text.trim().matchAll(/(\S+?:"[^"]*"|"[^"]*"|\S+)/g)].map((x) => x[0]);
  const name = tokens.shift().slice(1);
  const c = findCommand(name);
  const req = { command: c ? c.name : name, options: {} };
  if (!c) return { req, cmd: null };
  const subs = (c.options || []).filter((o) => o.type === "subcommand");
  if (subs.length && tokens.length && !tokens[0].includes(":")) {
    const s = tokens.shift();
    const sub = subs.find((o) => o.name === s || o.nameEs === s);
    req.subcommand = sub ? sub.name : s;
  }
  for (const tok of tokens) {
    const i = tok.indexOf(":");
    if (i <= 0) { req.options[tok] = ""; continue; }
    req.options[tok.slice(0, i)] = tok.slice(i + 1).replace(/^"|"$/g, "");
  }
  return { req, cmd: c };
}

async function runCommand(text) {
  const { req, cmd } = parseCommand(text);
  if (!cmd) { toast(t("unknownCmd", req.command)); return false; }
  req.user = state.user;
  req.locale = state.locale;
  if ((cmd.options || []).some((o) => o.type === "attachment")) {
    const file = state.files[0] || (state.hasInk ? await padFile() : null);
    if (!file) { toast(t("needImage")); return false; }
    req.image = { name: file.name, data: await dataURL(file) };
  }
  const ok = await api("/api/commands", req);
  if (ok && req.image) { state.files = []; renderChips(); clearPad(); }
  return !!ok;
}
function dataURL(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

// ---- sending ----
export function updateSend() {
  const v = $("input").value.trim();
  $("send").disabled = !(v || state.files.length || state.hasInk);
}
async function send() {
  const input = $("input");
  const text = input.value.trim();
  $("send").disabled = true;
  try {
    if (text.startsWith("/")) {
      if (await runCommand(text)) { input.value = ""; $("cmd-hint").hidden = true; }
      return;
    }
    const form = new FormData();
    form.append("user", state.user);
    form.append("content", text);
    for (const f of state.files) form.append("file", f, f.name);
    if (state.hasInk) form.append("file", await padFile(), "drawing.png");
    if (!text && !state.files.length && !state.hasInk) return;
    const ok = await api("/api/messages", form, true);
    if (ok) {
      input.value = "";
      state.files = [];
      renderChips();
      clearPad();
      upsert(ok.message);
    }
  } finally {
    updateSend();
  }
}
$("bar").addEventListener("submit", (ev) => { ev.preventDefault(); send(); });
$("input").addEventListener("input", () => { state.popupIndex = 0; updatePopup(); updateSend(); });
$("input").addEventListener("keydown", (ev) => {
  const popup = $("cmd-popup");
  if (popup.hidden) return;
  const items = [...$("cmd-list").children];
  if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
    ev.preventDefault();
    state.popupIndex = (state.popupIndex + (ev.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
    updatePopup();
  } else if (ev.key === "Enter" || ev.key === "Tab") {
    ev.preventDefault();
    const q = $("input").value.slice(1).toLowerCase();
    const cmds = visibleCommands().filter((c) => c.name.startsWith(q) || cmdLabel(c).toLowerCase().startsWith(q));
    if (cmds[state.popupIndex]) pickCommand(cmds[state.popupIndex]);
  } else if (ev.key === "Escape") {
    popup.hidden = true;
  }
});
$("input").addEventListener("blur", () => setTimeout(() => { $("cmd-popup").hidden = true; updateHint(); }, 150));
$("slash").addEventListener("click", () => {
  $("input").value = "/";
  $("input").focus();
  state.popupIndex = 0;
  updatePopup();
});
