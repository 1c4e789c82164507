// UI strings in English and Spanish (the bot's own replies follow the locale by themselves).

import { state } from "./state.js";

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
    welcomeCommands: "Also try {0} (type / in the message box).", welcomeApps: "Right-click any image and pick Apps → {0}.",
    welcomeMod: "Switch to Mod to see what moderators can do.",
    commands: "Commands", padHint: "Draw a digit here", padTitle: "Draw a digit",
    padText: "Use the mouse or a finger. Big and centred works best. Send posts it as an image, like uploading a photo on Discord.",
    clear: "Clear", inkDark: "Ink: white on black", inkLight: "Ink: black on white", send: "Send",
    drop: "Drop an image to attach it", placeholder: "Message #{0}, or type / for commands",
    today: "Today at {0}", onlyYou: "Only you can see this", dismiss: "Dismiss message",
    thinking: "{0} is thinking…", used: "used", edited: "(edited)", clickToSee: "Click to see attachment",
    deleted: "Original message was deleted", apps: "Apps",
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
    welcomeCommands: "Prueba también {0} (escribe / en el cuadro de mensaje).", welcomeApps: "Haz clic derecho en una imagen y elige Apps → {0}.",
    welcomeMod: "Cambia a Mod para ver lo que pueden hacer los moderadores.",
    commands: "Comandos", padHint: "Dibuja un dígito aquí", padTitle: "Dibuja un dígito",
    padText: "Con el ratón o con el dedo. Grande y centrado funciona mejor. Enviar lo publica como imagen, como al subir una foto en Discord.",
    clear: "Borrar", inkDark: "Tinta: blanco sobre negro", inkLight: "Tinta: negro sobre blanco", send: "Enviar",
    drop: "Suelta una imagen para adjuntarla", placeholder: "Enviar mensaje a #{0}, o escribe / para comandos",
    today: "Hoy a las {0}", onlyYou: "Solo tú puedes ver esto", dismiss: "Descartar mensaje",
    thinking: "{0} está pensando…", used: "usó", edited: "(editado)", clickToSee: "Haz clic para ver el adjunto",
    deleted: "El mensaje original se eliminó", apps: "Apps",
    member: "miembro", moderator: "moderador · Gestionar servidor", predictHint: "usa tu dibujo o la imagen adjunta",
    needImage: "Primero dibuja un dígito o adjunta una imagen.", tooBig: "{0} ocupa {1}; digitbot acepta imágenes de hasta {2}.",
    unknownCmd: "Comando desconocido /{0}. Escribe / para ver los comandos.", download: "Descargar",
    reconnecting: "Conexión perdida; reconectando…", attach: "Adjuntar una imagen", modOnly: "mods",
    removeFile: "Quitar", imageFromDrawing: "tu dibujo",
    localeHelp: "Tu idioma de Discord: los comandos, botones y menús responden en él. Las respuestas a imágenes publicadas usan el idioma del servidor (digitbot playground --lang es).",
    submit: "Enviar", cancel: "Cancelar", tooShort: "Escribe al menos {0} caracteres.", tooLong: "Escribe como mucho {0} caracteres.", required: "Este campo es obligatorio.",
  },
};

export const lang = () => (state.locale.startsWith("es") ? "es" : "en");
export const t = (key, ...args) => {
  const s = (STRINGS[lang()][key] ?? STRINGS.en[key] ?? key);
  return s.replace(/\{(\d)\}/g, (_, i) => String(args[Number(i)] ?? ""));
};
export const me = () => state.info.users.find((u) => u.key === state.user) || state.info.users[0];
