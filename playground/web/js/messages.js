// Drawing the message list: messages, embeds, buttons, attachments.

import { state } from "./state.js";
import { lang, t } from "./i18n.js";
import { $, el, humanBytes, icon } from "./dom.js";
import { inline, markdown } from "./markdown.js";
import { api } from "./api.js";
import { openLightbox, openMenu } from "./dialogs.js";

function timeLabel(ts) {
  const d = new Date(ts);
  const hm = d.toLocaleTimeString(state.locale, { hour: "numeric", minute: "2-digit" });
  const today = new Date();
  if (d.toDateString() === today.toDateString()) return t("today", hm);
  return d.toLocaleDateString(state.locale) + " " + hm;
}

function avatar(author) {
  const a = el("div", "avatar");
  if (author.bot) {
    a.classList.add("bot");
    const img = document.createElement("img");
    img.src = "/favicon.svg";
    img.alt = "";
    a.append(img);
  } else {
    a.textContent = (author.name || "?").slice(0, 1).toUpperCase();
    a.style.background = author.color || "#5865f2";
  }
  return a;
}

// ---- rendering ----
function renderMessage(m) {
  const li = el("li", "msg");
  li.dataset.id = m.id;
  li.dataset.testid = "message";
  li.setAttribute("data-testid", "message");
  li.dataset.author = m.author.bot ? "bot" : (state.info.users.find((u) => u.id === m.author.id) || {}).key || "user";
  if (m.ephemeral) li.classList.add("ephemeral");

  if (m.replyTo) {
    li.classList.add("has-ref");
    const ref = el("div", "ref");
    if (m.replyTo.missing) {
      ref.append(el("span", "ref-text", t("deleted")));
    } else {
      const name = el("span", "ref-name", "@" + m.replyTo.author);
      const text = el("span", "ref-text" + (m.replyTo.snippet ? "" : " ref-img"), m.replyTo.snippet || (m.replyTo.hasImage ? t("clickToSee") : ""));
      const jump = () => jumpTo(m.replyTo.id);
      name.addEventListener("click", jump);
      text.addEventListener("click", jump);
      ref.append(name, text);
      if (!m.replyTo.snippet && m.replyTo.hasImage) ref.append(icon("image", 16));
    }
    li.append(ref);
  } else if (m.interaction) {
    li.classList.add("has-interaction");
    const line = el("div", "interaction-line");
    line.append(el("b", null, m.interaction.user || "?"), " " + t("used") + " ");
    const c = state.info.commands.find((x) => x.name === m.interaction.name);
    const cmdName = (c && c.type === "message" ? "" : "/") + localName(m.interaction.name);
    line.append(el("span", "cmd", cmdName));
    li.append(line);
  }

  li.append(avatar(m.author));
  const meta = el("div", "meta");
  const name = el("span", "name", m.author.name);
  if (!m.author.bot && m.author.color) name.style.color = m.author.color;
  meta.append(name);
  if (m.author.bot) meta.append(el("span", "tag", "APP"));
  meta.append(el("span", "time", timeLabel(m.timestamp)));
  li.append(meta);

  if (m.loading) {
    const l = el("div", "loading");
    const dots = el("span", "dots");
    dots.append(el("span"), el("span"), el("span"));
    l.append(dots, el("span", null, t("thinking", m.author.name)));
    li.append(l);
  }

  const content = el("div", "content");
  content.innerHTML = markdown(m.content || "");
  if (m.edited && m.content) content.append(el("span", "edited", t("edited")));
  li.append(content);

  for (const a of m.attachments) {
    if (a.image) {
      const img = document.createElement("img");
      img.className = "attachment-img";
      img.src = a.url;
      img.alt = a.name;
      img.dataset.testid = "attachment-image";
      img.setAttribute("data-testid", "attachment-image");
      img.addEventListener("click", () => openLightbox(a.url));
      keepBottom(img);
      li.append(img);
    } else {
      const card = el("div", "file-card");
      const fi = el("span", "file-icon");
      fi.append(icon("file", 30));
      card.append(fi);
      const info = el("div");
      const link = el("a", null, a.name);
      link.href = a.url;
      link.download = a.name;
      link.setAttribute("data-testid", "file-link");
      info.append(link, el("div", "file-size", humanBytes(a.size)));
      card.append(info);
      li.append(card);
    }
  }

  for (const e of m.embeds) li.append(renderEmbed(e));

  if (m.components.length) {
    const comps = el("div", "components");
    for (const row of m.components) {
      const r = el("div", "row");
      for (const b of row) r.append(renderButton(m, b));
      comps.append(r);
    }
    li.append(comps);
  }

  if (m.ephemeral) {
    const only = el("div", "only-you");
    only.setAttribute("data-testid", "ephemeral");
    only.append(icon("eye", 16), el("span", null, t("onlyYou") + " · "));
    const dismiss = el("button", null, t("dismiss"));
    dismiss.type = "button";
    dismiss.addEventListener("click", () => { state.dismissed.add(m.id); li.remove(); });
    only.append(dismiss);
    li.append(only);
  }

  if (m.hasImage) {
    const tools = el("div", "msg-tools");
    const b = el("button", null, t("apps") + " ▸");
    b.type = "button";
    b.setAttribute("data-testid", "apps");
    b.addEventListener("click", (ev) => openMenu(ev, m.id));
    tools.append(b);
    li.append(tools);
    li.addEventListener("contextmenu", (ev) => { ev.preventDefault(); openMenu(ev, m.id); });
  }
  return li;
}

function renderEmbed(e) {
  const d = el("div", "embed");
  d.setAttribute("data-testid", "embed");
  if (e.color) d.style.borderLeftColor = e.color;
  if (e.author) d.append(el("div", "embed-author", e.author));
  if (e.title) {
    const title = el("div", "embed-title");
    title.innerHTML = inline(e.title);
    title.setAttribute("data-testid", "embed-title");
    d.append(title);
  }
  if (e.description) {
    const desc = el("div", "embed-desc");
    desc.innerHTML = markdown(e.description);
    d.append(desc);
  }
  if (e.fields && e.fields.length) {
    const fields = el("div", "embed-fields");
    for (const f of e.fields) {
      const fd = el("div", "embed-field" + (f.inline ? " inline" : ""));
      const n = el("div", "embed-field-name");
      n.innerHTML = inline(f.name);
      const v = el("div", "embed-field-value");
      v.innerHTML = markdown(f.value);
      fd.append(n, v);
      fields.append(fd);
    }
    d.append(fields);
  }
  if (e.image) {
    const img = document.createElement("img");
    img.className = "embed-image";
    img.src = e.image;
    img.alt = "";
    img.setAttribute("data-testid", "embed-image");
    img.addEventListener("click", () => openLightbox(e.image));
    keepBottom(img);
    d.append(img);
  }
  if (e.thumbnail) {
    d.classList.add("has-thumb");
    const img = document.createElement("img");
    img.className = "embed-thumb";
    img.src = e.thumbnail;
    img.alt = "";
    img.setAttribute("data-testid", "embed-thumbnail");
    img.addEventListener("click", () => openLightbox(e.thumbnail));
    keepBottom(img);
    d.append(img);
  }
  if (e.footer) d.append(el("div", "embed-footer", e.footer));
  return d;
}

function renderButton(m, b) {
  if (b.style === "link") {
    const a = el("a", "dbtn link", (b.emoji ? b.emoji + " " : "") + b.label + " ↗");
    a.href = b.url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }
  const btn = el("button", "dbtn " + b.style, (b.emoji ? b.emoji + " " : "") + (b.label || ""));
  btn.type = "button";
  btn.disabled = b.disabled;
  btn.dataset.customId = b.customId;
  btn.setAttribute("data-testid", "button");
  btn.addEventListener("click", async () => {
    // Pending until the bot answers: the edited message replaces the
    // button, or a private answer arrives and releases it.
    btn.classList.add("pending");
    btn.disabled = true;
    const release = () => { btn.classList.remove("pending"); btn.disabled = b.disabled; state.pending.delete(release); };
    state.pending.add(release);
    const ok = await api("/api/buttons", { user: state.user, locale: state.locale, messageId: m.id, customId: b.customId });
    if (!ok) release();
    setTimeout(release, 5000);
  });
  return btn;
}

function localName(name) {
  const c = state.info.commands.find((x) => x.name === name);
  return c && lang() === "es" && c.nameEs ? c.nameEs : name;
}

// upsert keeps the newest snapshot of each message and the channel order.
export function upsert(m) {
  const old = state.messages.get(m.id);
  if (old && old.edits > m.edits) return;
  if (m.deleted) { removeMessage(m.id); return; }
  state.messages.set(m.id, m);
  if (state.dismissed.has(m.id)) return;
  const list = $("messages");
  const stick = state.stuck;
  const node = renderMessage(m);
  const existing = list.querySelector(`li[data-id="${CSS.escape(m.id)}"]`);
  if (existing) {
    existing.replaceWith(node);
  } else {
    // Snowflakes grow with time: insert in id order.
    let before = null;
    for (const li of list.children) {
      if (snowflakeLess(m.id, li.dataset.id)) { before = li; break; }
    }
    list.insertBefore(node, before);
  }
  // Follow the answers to what this user just did, as Discord does.
  if (stick || (!existing && Date.now() < state.followUntil)) scrollDown();
}
export function removeMessage(id) {
  state.messages.delete(id);
  const n = $("messages").querySelector(`li[data-id="${CSS.escape(id)}"]`);
  if (n) n.remove();
}
function snowflakeLess(a, b) {
  return a.length !== b.length ? a.length < b.length : a < b;
}
// stuck says whether the list is scrolled to the bottom: then it stays
// there as messages arrive and their images load, as in Discord.
$("scroller").addEventListener("scroll", () => { state.stuck = nearBottom(); });
function keepBottom(img) {
  img.addEventListener("load", () => { if (state.stuck) scrollDown(); });
}
function nearBottom() {
  const s = $("scroller");
  return s.scrollHeight - s.scrollTop - s.clientHeight < 120;
}
export function scrollDown() {
  const s = $("scroller");
  state.stuck = true;
  s.scrollTop = s.scrollHeight;
}
function jumpTo(id) {
  const n = $("messages").querySelector(`li[data-id="${CSS.escape(id)}"]`);
  if (!n) return;
  n.scrollIntoView({ block: "center", behavior: "smooth" });
  n.classList.remove("flash");
  void n.offsetWidth;
  n.classList.add("flash");
}
export function rerenderAll() {
  $("messages").textContent = "";
  const ids = [...state.messages.keys()].sort((a, b) => (snowflakeLess(a, b) ? -1 : 1));
  for (const id of ids) if (!state.dismissed.has(id)) $("messages").append(renderMessage(state.messages.get(id)));
}
