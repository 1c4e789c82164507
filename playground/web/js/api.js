// Talking to the playground: POSTs, the message list and the event stream.

import { state } from "./state.js";
import { t } from "./i18n.js";
import { $ } from "./dom.js";
import { removeMessage, rerenderAll, scrollDown, upsert } from "./messages.js";
import { openModal } from "./dialogs.js";

// ---- API ----
let toastTimer = 0;
export function toast(text, info) {
  const n = $("toast");
  n.textContent = text;
  n.classList.toggle("info", !!info);
  n.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { n.hidden = true; }, 6000);
}
export async function api(path, body, isForm) {
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

export function connect() {
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
