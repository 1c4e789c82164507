// The page's state: who acts, in which language, what is shown. One object, imported by the modules that read or change it.

export const state = {
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
