// The drawing pad.

import { state } from "./state.js";
import { t } from "./i18n.js";
import { $ } from "./dom.js";
import { updateSend } from "./composer.js";

// ---- drawing pad ----
const pad = $("pad");
const ctx = pad.getContext("2d");
export function clearPad() {
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
export function padFile() {
  return new Promise((resolve) => pad.toBlob((b) => resolve(new File([b], "drawing.png", { type: "image/png" })), "image/png"));
}
