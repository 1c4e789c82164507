// digitbot playground: a minimal Discord client for the built-in server.
// Plain JS, no build step. Every message is drawn from the JSON the
// playground serves; text always goes through textContent or escapeHTML.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);

  // ---- UI strings (the bot's own replies follow the locale by themselves) ----
  const STRINGS = {
    en: {
      guild: "digitbot playground", textChannels: "Text channels",
      about1: "This is the real digitbot: the same code that runs on Discord, connected to a pretend Discord server that lives inside this program.",
      about2: "Nothing leaves your machine and no account is needed.",
      topic: "Draw a digit and digitbot tells you which one it is.",
      actAs: "You are", language: "Language",
      welcomeTitle: "Welcome to #try-digitbot!",
      welcome1: "Draw a digit in the box below and press Send: digitbot answers in about a second. Then tell it whether it was right with the number buttons.",
      welcome2: "Also try /stats, /help or /history (type / in the message box), or right-click any image and pick Apps → Recognize digit. Switch to Mod to see what moderators can do.",
      commands: "Commands", padHint: "Draw a digit here", padTitle: "Draw a digit",
      padText: "Use the mouse or a finger. Big and centred works best. Send posts it as an image, like uploading a photo on Discord.",
      clear: "Clear", inkDark: "Ink: white on black", inkLight: "Ink: black on white", send: "Send",
      drop: "Drop an image to attach it", placeholder: "Message #{0}, or type / for commands",
      today: "Today at {0}", onlyYou: "Only you can see this", dismiss: "Dismiss message",
      thinking: "{0} is thinking…", used: "used", edited: "(edited)", clickToSee: "Click to see attachment",
      deleted: "Original message was deleted", recognize: "Recognize digit", apps: "Apps",
      member: "member", moderator: "moderator · Manage Server", predictHint: "uses your drawing or the attached image",
      needImage: "Draw a digit or attach an image first.", tooBig: "{0} is {1}; digitbot accepts images up to {2}.",
      unknownCmd: "Unknown command /{0}. Type / to see the commands.", download: "Download",
      reconnecting: "Connection lost; reconnecting…", attach: "Attach an image", modOnly: "mods",
      removeFile: "Remove", imageFromDrawing: "your drawing",
      localeHelp: "Your Discord language: commands, buttons and menus answer in it. Replies to posted images use the server's language (digitbot playground --lang es).",
      submit: "Submit", cancel: "Cancel", tooShort: "Type at least {0} characters.", tooLong: "Type at most {0} characters.", required: "This field is required.",
    },
    es: {
      guild: "digitbot playground", textChannels: "Canales de texto",
      about1: "Este es el digitbot de verdad: el mismo código que corre en Discord, conectado a un Discord de mentira que vive dentro de este programa.",
      about2: "Nada sale de tu equipo y no hace falta ninguna cuenta.",
      topic: "Dibuja un dígito y digitbot te dice cuál es.",
      actAs: "Eres", language: "Idioma",
      welcomeTitle: "¡Te damos la bienvenida a #try-digitbot!",
      welcome1: "Dibuja un dígito en el recuadro de abajo y pulsa Enviar: digitbot responde en un segundo. Después dile si acertó con los botones de números.",
      welcome2: "Prueba también /estadisticas, /ayuda o /historial (escribe / en el cuadro de mensaje), o haz clic derecho en una imagen y elige Apps → Reconocer dígito. Cambia a Mod para ver lo que pueden hacer los moderadores.",
      commands: "Comandos", padHint: "Dibuja un dígito aquí", padTitle: "Dibuja un dígito",
      padText: "Con el ratón o con el dedo. Grande y centrado funciona mejor. Enviar lo publica como imagen, como al subir una foto en Discord.",
      clear: "Borrar", inkDark: "Tinta: blanco sobre negro", inkLight: "Tinta: negro sobre blanco", send: "Enviar",
      drop: "Suelta una imagen para adjuntarla", placeholder: "Enviar mensaje a #{0}, o escribe / para comandos",
      today: "Hoy a las {0}", onlyYou: "Solo tú puedes ver esto", dismiss: "Descartar mensaje",
      thinking: "{0} está pensando…", used: "usó", edited: "(editado)", clickToSee: "Haz clic para ver el adjunto",
      deleted: "El mensaje original se eliminó", recognize: "Reconocer dígito", apps: "Apps",
      member: "miembro", moderator: "moderador · Gestionar servidor", predictHint: "usa tu dibujo o la imagen adjunta",
      needImage: "Primero dibuja un dígito o adjunta una imagen.", tooBig: "{0} ocupa {1}; digitbot acepta imágenes de hasta {2}.",
      unknownCmd: "Comando desconocido /{0}. Escribe / para ver los comandos.", download: "Descargar",
      reconnecting: "Conexión perdida; reconectando…", attach: "Adjuntar una imagen", modOnly: "mods",
      removeFile: "Quitar", imageFromDrawing: "tu dibujo",
      localeHelp: "Tu idioma de Discord: los comandos, botones y menús responden en él. Las respuestas a imágenes publicadas usan el idioma del servidor (digitbot playground --lang es).",
      submit: "Enviar", cancel: "Cancelar", tooShort: "Escribe al menos {0} caracteres.", tooLong: "Escribe como mucho {0} caracteres.", required: "Este campo es obligatorio.",
    },
  };

  const state = {
    info: null,            // GET /api/state
    user: localStorage.getItem("digitbot.user") || "ana",
    locale: localStorage.getItem("digitbot.locale") || "",
    messages: new Map(),   // id -> view
    dismissed: new Set(),
    files: [],             // attached File objects
    inkWhite: true,
    hasInk: false,
    events: null,
    popupIndex: 0,
    menuTarget: null,
    pending: new Set(),    // release functions of buttons waiting for the bot
    followUntil: 0,        // until then, new messages scroll the list down
    stuck: true,           // the list is scrolled to the bottom
  };

  const lang = () => (state.locale.startsWith("es") ? "es" : "en");
  const t = (key, ...args) => {
    const s = (STRINGS[lang()][key] ?? STRINGS.en[key] ?? key);
    return s.replace(/\{(\d)\}/g, (_, i) => String(args[Number(i)] ?? ""));
  };
  const me = () => state.info.users.find((u) => u.key === state.user) || state.info.users[0];

  // ---- helpers ----
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function escapeHTML(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }
  function humanBytes(n) {
    if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + " MiB";
    if (n >= 1 << 10) return (n / (1 << 10)).toFixed(1) + " KiB";
    return n + " bytes";
  }
  function userName(id) {
    const u = state.info.users.find((x) => x.id === id);
    if (u) return u.name;
    if (id === state.info.bot.id) return state.info.bot.name;
    return "user";
  }

  // Discord markdown, the part the bot uses: headings, -# subtext, bold,
  // italics, inline code, code blocks, lists, links and mentions.
  function markdown(src) {
    const blocks = String(src).split(/```/);
    let html = "";
    blocks.forEach((block, i) => {
      if (i % 2 === 1) {
        html += "<pre><code>" + escapeHTML(block.replace(/^[a-z]*\n/, "")) + "</code></pre>";
        return;
      }
      const lines = block.split("\n").map((line) => {
        let m;
        if ((m = /^### (.*)$/.exec(line))) return '<span class="md-h3">' + inline(m[1]) + "</span>";
        if ((m = /^## (.*)$/.exec(line))) return '<span class="md-h2">' + inline(m[1]) + "</span>";
        if ((m = /^# (.*)$/.exec(line))) return '<span class="md-h1">' + inline(m[1]) + "</span>";
        if ((m = /^-# (.*)$/.exec(line))) return '<span class="md-sub">' + inline(m[1]) + "</span>";
        if ((m = /^\s*[-*] (.*)$/.exec(line))) return "• " + inline(m[1]);
        if ((m = /^> (.*)$/.exec(line))) return '<span class="md-sub">▎ ' + inline(m[1]) + "</span>";
        return inline(line);
      });
      // Block spans end their own line.
      html += lines.join("\n").replace(/(<\/span>)\n/g, "$1");
    });
    return html;
  }
  function inline(s) {
    let h = escapeHTML(s);
    const codes = [];
    h = h.replace(/`([^`]+)`/g, (_, c) => { codes.push(c); return "\u0000" + (codes.length - 1) + "\u0000"; });
    h = h.replace(/\*\*(.+?)\*\*/g, "<b>$1</b>");
    h = h.replace(/__(.+?)__/g, "<u>$1</u>");
    h = h.replace(/(^|[^*])\*([^*\s][^*]*?)\*/g, "$1<i>$2</i>");
    h = h.replace(/\b_([^_]+)_\b/g, "<i>$1</i>");
    h = h.replace(/~~(.+?)~~/g, "<s>$1</s>");
    h = h.replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, '<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>');
    h = h.replace(/&lt;@!?(\d+)&gt;/g, (_, id) => '<span class="mention">@' + escapeHTML(userName(id)) + "</span>");
    h = h.replace(/&lt;#(\d+)&gt;/g, (_, id) => '<span class="mention">#' + (id === state.info.channel.id ? escapeHTML(state.info.channel.name) : "channel") + "</span>");
    h = h.replace(/&lt;t:(\d+)(?::[a-zA-Z])?&gt;/g, (_, s) => escapeHTML(new Date(Number(s) * 1000).toLocaleString(state.locale)));
    h = h.replace(/\u0000(\d+)\u0000/g, (_, i) => "<code>" + codes[Number(i)] + "</code>");
    return h;
  }

  function timeLabel(ts) {
    const d = new Date(ts);
    const hm = d.toLocaleTimeString(state.locale, { hour: "numeric", minute: "2-digit" });
    const today = new Date();
    if (d.toDateString() === today.toDateString()) return t("today", hm);
    return d.toLocaleDateString(state.locale) + " " + hm;
  }

  // icon draws a small monochrome SVG icon (emoji fonts are not everywhere).
  const ICONS = {
    eye: "M12 5C5.6 5 2 12 2 12s3.6 7 10 7 10-7 10-7-3.6-7-10-7zm0 11.5A4.5 4.5 0 1 1 12 7.5a4.5 4.5 0 0 1 0 9zm0-7a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z",
    image: "M4 4h16a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm0 13h16l-5-7-4 5-3-3-4 5zM8 10.5A1.5 1.5 0 1 0 8 7.5a1.5 1.5 0 0 0 0 3z",
    file: "M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm7 1.5V9h5.5z",
  };
  function icon(name, size) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", String(size || 16));
    svg.setAttribute("height", String(size || 16));
    svg.setAttribute("aria-hidden", "true");
    svg.classList.add("icon");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    path.setAttribute("fill", "currentColor");
    svg.append(path);
    return svg;
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
      const b = el("button", null, t("apps") + " ▸ " + t("recognize"));
      b.type = "button";
      b.setAttribute("data-testid", "recognize");
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
  function upsert(m) {
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
  function removeMessage(id) {
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
  function scrollDown() {
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
  function rerenderAll() {
    $("messages").textContent = "";
    const ids = [...state.messages.keys()].sort((a, b) => (snowflakeLess(a, b) ? -1 : 1));
    for (const id of ids) if (!state.dismissed.has(id)) $("messages").append(renderMessage(state.messages.get(id)));
  }

  // ---- API ----
  let toastTimer = 0;
  function toast(text, info) {
    const n = $("toast");
    n.textContent = text;
    n.classList.toggle("info", !!info);
    n.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { n.hidden = true; }, 6000);
  }
  async function api(path, body, isForm) {
    state.followUntil = Date.now() + 8000;
    try {
      const res = await fetch(path, isForm
        ? { method: "POST", body }
        : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      if (res.ok) return await res.json();
      let msg = res.status + " " + res.statusText;
      try { msg = (await res.json()).error || msg; } catch (_) { /* not JSON */ }
      toast(msg);
      return null;
    } catch (err) {
      toast(String(err));
      return null;
    }
  }

  async function loadMessages() {
    const res = await fetch("/api/messages?user=" + encodeURIComponent(state.user));
    if (!res.ok) return;
    const data = await res.json();
    const fresh = new Map(data.messages.map((m) => [m.id, m]));
    // Drop what this user can no longer see (another user's private answers).
    for (const id of [...state.messages.keys()]) if (!fresh.has(id)) state.messages.delete(id);
    for (const m of data.messages) {
      const old = state.messages.get(m.id);
      if (!old || old.edits <= m.edits) state.messages.set(m.id, m);
    }
    rerenderAll();
    scrollDown();
  }

  function connect() {
    if (state.events) state.events.close();
    document.body.dataset.ready = "false";
    const es = new EventSource("/api/events?user=" + encodeURIComponent(state.user));
    state.events = es;
    es.addEventListener("ready", async () => {
      await loadMessages();
      if (state.events === es) document.body.dataset.ready = "true";
      $("toast").hidden = true;
    });
    es.addEventListener("message", (ev) => {
      const data = JSON.parse(ev.data);
      if (data.kind === "create" && data.message.author.bot) for (const release of [...state.pending]) release();
      if (data.kind === "delete") removeMessage(data.message.id);
      else upsert(data.message);
    });
    es.addEventListener("modal", (ev) => {
      for (const release of [...state.pending]) release();
      openModal(JSON.parse(ev.data));
    });
    es.addEventListener("notice", (ev) => {
      for (const release of [...state.pending]) release();
      toast(JSON.parse(ev.data).text);
    });
    es.onerror = () => {
      if (es.readyState !== EventSource.OPEN) {
        document.body.dataset.ready = "false";
        toast(t("reconnecting"), true);
      }
    };
  }

  // ---- drawing pad ----
  const pad = $("pad");
  const ctx = pad.getContext("2d");
  function clearPad() {
    ctx.fillStyle = state.inkWhite ? "#000" : "#fff";
    ctx.fillRect(0, 0, pad.width, pad.height);
    state.hasInk = false;
    $("pad-hint").hidden = false;
    $("pad-hint").style.color = state.inkWhite ? "#6d6f78" : "#80848e";
    updateSend();
  }
  function padPoint(ev) {
    const r = pad.getBoundingClientRect();
    return [(ev.clientX - r.left) * (pad.width / r.width), (ev.clientY - r.top) * (pad.height / r.height)];
  }
  let drawing = false;
  let last = null;
  function strokeTo(p) {
    ctx.strokeStyle = state.inkWhite ? "#fff" : "#000";
    ctx.fillStyle = ctx.strokeStyle;
    ctx.lineWidth = 22;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    if (!last) {
      ctx.beginPath();
      ctx.arc(p[0], p[1], ctx.lineWidth / 2, 0, Math.PI * 2);
      ctx.fill();
    } else {
      ctx.beginPath();
      ctx.moveTo(last[0], last[1]);
      ctx.lineTo(p[0], p[1]);
      ctx.stroke();
    }
    last = p;
    if (!state.hasInk) {
      state.hasInk = true;
      $("pad-hint").hidden = true;
      updateSend();
    }
  }
  pad.addEventListener("pointerdown", (ev) => {
    if (ev.button !== undefined && ev.button > 0) return;
    ev.preventDefault();
    drawing = true;
    last = null;
    try { pad.setPointerCapture(ev.pointerId); } catch (_) { /* synthetic events */ }
    strokeTo(padPoint(ev));
  });
  pad.addEventListener("pointermove", (ev) => {
    if (!drawing) return;
    const evs = ev.getCoalescedEvents ? ev.getCoalescedEvents() : [];
    for (const e of evs.length ? evs : [ev]) strokeTo(padPoint(e));
  });
  const endStroke = () => { drawing = false; last = null; };
  pad.addEventListener("pointerup", endStroke);
  pad.addEventListener("pointercancel", endStroke);
  $("pad-clear").addEventListener("click", clearPad);
  $("pad-ink").addEventListener("click", () => {
    // Invert what is drawn so switching never loses the digit.
    const img = ctx.getImageData(0, 0, pad.width, pad.height);
    for (let i = 0; i < img.data.length; i += 4) {
      img.data[i] = 255 - img.data[i];
      img.data[i + 1] = 255 - img.data[i + 1];
      img.data[i + 2] = 255 - img.data[i + 2];
    }
    ctx.putImageData(img, 0, 0);
    state.inkWhite = !state.inkWhite;
    $("pad-ink").textContent = state.inkWhite ? t("inkDark") : t("inkLight");
  });
  function padFile() {
    return new Promise((resolve) => pad.toBlob((b) => resolve(new File([b], "drawing.png", { type: "image/png" })), "image/png"));
  }

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
  function visibleCommands() {
    return state.info.commands.filter((c) => c.type === "chat" && (!c.moderatorOnly || me().manageServer));
  }
  function cmdLabel(c) { return lang() === "es" && c.nameEs ? c.nameEs : c.name; }
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
  function updateHint() {
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
  function updateSend() {
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

  // ---- context menu ----
  function openMenu(ev, id) {
    state.menuTarget = id;
    const menu = $("menu");
    $("menu-recognize").textContent = t("recognize");
    menu.hidden = false;
    const x = Math.min(ev.clientX, window.innerWidth - menu.offsetWidth - 8);
    const y = Math.min(ev.clientY, window.innerHeight - menu.offsetHeight - 8);
    menu.style.left = x + "px";
    menu.style.top = y + "px";
    ev.stopPropagation();
  }
  document.addEventListener("click", (ev) => { if (!$("menu").contains(ev.target)) $("menu").hidden = true; });
  document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") { $("menu").hidden = true; $("lightbox").hidden = true; } });
  $("menu-recognize").addEventListener("click", async () => {
    $("menu").hidden = true;
    if (state.menuTarget) await api("/api/context-menu", { user: state.user, locale: state.locale, messageId: state.menuTarget, command: "Recognize digit" });
  });

  // ---- modals (a bot's type 9 answer) ----
  // The dialog checks what Discord's client checks (required, min and max
  // length) before sending; the bot checks the rest.
  let modalOpen = null;
  function openModal(m) {
    modalOpen = m;
    $("modal-title").textContent = m.title;
    $("modal-error").hidden = true;
    const box = $("modal-inputs");
    box.textContent = "";
    for (const inp of m.inputs) {
      const field = el("label", "modal-field");
      const label = el("span", "modal-label", inp.label);
      if (inp.required) label.append(el("span", "req", "*"));
      const input = el(inp.paragraph ? "textarea" : "input");
      input.value = inp.value || "";
      input.placeholder = inp.placeholder || "";
      input.maxLength = inp.maxLength;
      input.dataset.customId = inp.customId;
      input.setAttribute("data-testid", "modal-input-" + inp.customId);
      const count = el("span", "modal-count");
      const recount = () => { count.textContent = [...input.value].length + "/" + inp.maxLength; };
      input.addEventListener("input", recount);
      recount();
      field.append(label, input, count);
      box.append(field);
    }
    $("modal").showModal();
    const first = box.querySelector("input, textarea");
    if (first) { first.focus(); first.select(); }
  }
  function modalProblem(m) {
    for (const inp of m.inputs) {
      const n = [...box(inp).value].length;
      if (n === 0 && inp.required) return t("required");
      if (n > 0 && n < inp.minLength) return t("tooShort", inp.minLength);
      if (n > inp.maxLength) return t("tooLong", inp.maxLength);
    }
    return "";
  }
  const box = (inp) => $("modal-inputs").querySelector('[data-custom-id="' + CSS.escape(inp.customId) + '"]');
  $("modal-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const m = modalOpen;
    if (!m) return;
    const problem = modalProblem(m);
    if (problem) {
      $("modal-error").textContent = problem;
      $("modal-error").hidden = false;
      return;
    }
    const values = {};
    for (const inp of m.inputs) values[inp.customId] = box(inp).value;
    $("modal-submit").disabled = true;
    state.followUntil = Date.now() + 8000;
    let problemText = "";
    try {
      const res = await fetch("/api/modals", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ user: state.user, locale: state.locale, interactionId: m.interactionId, values }) });
      if (!res.ok) {
        problemText = res.status + " " + res.statusText;
        try { problemText = (await res.json()).error || problemText; } catch (_) { /* not JSON */ }
      }
    } catch (err) {
      problemText = String(err);
    }
    $("modal-submit").disabled = false;
    if (problemText) {
      // Shown in the dialog, which stays open so the input can be fixed.
      $("modal-error").textContent = problemText;
      $("modal-error").hidden = false;
      return;
    }
    $("modal").close();
  });
  $("modal-cancel").addEventListener("click", () => $("modal").close());
  $("modal").addEventListener("close", () => { modalOpen = null; });

  function openLightbox(url) {
    $("lightbox-img").src = url;
    $("lightbox").hidden = false;
  }
  $("lightbox").addEventListener("click", () => { $("lightbox").hidden = true; });

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
    connect();
  }
  function applyLanguage() {
    document.documentElement.lang = lang();
    for (const n of document.querySelectorAll("[data-i18n]")) n.textContent = t(n.dataset.i18n);
    $("pad-ink").textContent = state.inkWhite ? t("inkDark") : t("inkLight");
    $("input").placeholder = t("placeholder", state.info.channel.name);
    $("attach").title = t("attach");
    $("locale-switch").title = t("localeHelp");
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
})();
