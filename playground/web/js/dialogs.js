// The Apps context menu (the bot's message commands), modals and the image lightbox.

import { state } from "./state.js";
import { t } from "./i18n.js";
import { $, el } from "./dom.js";
import { api } from "./api.js";
import { cmdLabel } from "./composer.js";

// ---- context menu ----
// messageCommands are the message commands the bot registered: the Apps
// menu offers these, as Discord's client does.
function messageCommands() {
  return state.info.commands.filter((c) => c.type === "message");
}
// menuTestID names a menu entry for tests: "Recognize digit" → "menu-recognize-digit".
function menuTestID(name) {
  return "menu-" + name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}
function renderMenu() {
  const items = $("menu-items");
  items.textContent = "";
  for (const c of messageCommands()) {
    const b = el("button", null, cmdLabel(c));
    b.type = "button";
    b.setAttribute("role", "menuitem");
    b.dataset.testid = menuTestID(c.name);
    b.addEventListener("click", async () => {
      $("menu").hidden = true;
      if (state.menuTarget) await api("/api/context-menu", { user: state.user, locale: state.locale, messageId: state.menuTarget, command: c.name });
    });
    items.append(b);
  }
}
export function openMenu(ev, id) {
  if (messageCommands().length === 0) return;
  state.menuTarget = id;
  const menu = $("menu");
  renderMenu();
  menu.hidden = false;
  const x = Math.min(ev.clientX, window.innerWidth - menu.offsetWidth - 8);
  const y = Math.min(ev.clientY, window.innerHeight - menu.offsetHeight - 8);
  menu.style.left = x + "px";
  menu.style.top = y + "px";
  ev.stopPropagation();
}
document.addEventListener("click", (ev) => { if (!$("menu").contains(ev.target)) $("menu").hidden = true; });
document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") { $("menu").hidden = true; $("lightbox").hidden = true; } });

// ---- modals (a bot's type 9 answer) ----
// The dialog checks what Discord's client checks (required, min and max
// length) before sending; the bot checks the rest.
let modalOpen = null;
export function openModal(m) {
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

export function openLightbox(url) {
  $("lightbox-img").src = url;
  $("lightbox").hidden = false;
}
$("lightbox").addEventListener("click", () => { $("lightbox").hidden = true; });
