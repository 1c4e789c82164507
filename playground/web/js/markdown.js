// Discord markdown, the part the bot uses.

import { state } from "./state.js";
import { t } from "./i18n.js";
import { escapeHTML, userName } from "./dom.js";

export function markdown(src) {
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
export function inline(s) {
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
