package bot

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot"
)

// lang is a language the bot answers in.
type lang int

const (
	langEN lang = iota
	langES
)

// code is the language's short name, as chart.Options.Lang expects it.
func (l lang) code() string {
	if l == langES {
		return "es"
	}
	return "en"
}

// parseLang maps a Discord locale ("es-ES", "es-419", "en-US", ...) or a
// short code ("es", "en") to a language; anything not Spanish is English.
func parseLang(locale string) lang {
	if digitbot.LangOfLocale(locale) == digitbot.LangSpanish {
		return langES
	}
	return langEN
}

// msgID names one user-visible sentence.
type msgID string

// text is a sentence in each language, in lang order.
type text [2]string

// t formats a message in language l.
func (l lang) t(id msgID, args ...any) string {
	s, ok := catalog[id]
	if !ok {
		// A missing id is a programming error caught by the completeness
		// test; show the id rather than nothing.
		return string(id)
	}
	if len(args) == 0 {
		return s[l]
	}
	return fmt.Sprintf(s[l], args...)
}

// pct formats a probability in [0,1] as a percentage the way each
// language writes it: "93.4%" and "93,4 %".
func (l lang) pct(p float64) string { return l.pctDecimals(p, 1) }

// pctDecimals writes a share (0..1) as a percentage with the given decimals.
func (l lang) pctDecimals(p float64, decimals int) string {
	s := strconv.FormatFloat(p*100, 'f', decimals, 64)
	if l == langES {
		return strings.Replace(s, ".", ",", 1) + " %"
	}
	return s + "%"
}

// group writes an integer with the language's thousands separator:
// 218,490 and 218.490.
func (l lang) group(n int) string {
	s := strconv.Itoa(n)
	sep := ","
	if l == langES {
		sep = "."
	}
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + sep + s[i:]
	}
	return s
}

// spanishLocales are the Discord locales that get the Spanish names and
// descriptions of the commands.
var spanishLocales = []discordgo.Locale{discordgo.SpanishES, discordgo.SpanishLATAM}

// catalog holds every sentence the bot shows, keyed by id. It is built once
// and only read: the Spanish keeps the voice of the original Streamlit app.
var catalog = map[msgID]text{
	// The prediction reply.
	"pred.title":      {"Model prediction", "Predicción del modelo"},
	"pred.confidence": {"Confidence", "Confianza"},
	"pred.next":       {"Next candidates", "Siguientes candidatos"},
	"pred.unsure":     {"⚠️ I'm not sure about this one: my confidence is under %s.", "⚠️ No estoy seguro: la confianza es menor del %s."},
	"pred.sure":       {"Confident: at or above %s.", "Seguro: igual o mayor del %s."},
	"pred.seen":       {"What I saw (28×28, as the model sees it) →", "Lo que he visto (28×28, como lo ve el modelo) →"},
	"pred.ask":        {"Was I right? Press the digit you had drawn.", "¿Ha acertado el modelo? Marca el dígito que habías dibujado."},
	"pred.file":       {"File: %s", "Archivo: %s"},
	"pred.skipped":    {"I read the first %d of your %d images; send the rest in another message.", "He leído las primeras %d de tus %d imágenes; envía el resto en otro mensaje."},

	// Number readings.
	"num.confidence":  {"Confidence in the number", "Confianza en el número"},
	"num.digits":      {"Digit by digit", "Dígito a dígito"},
	"num.sure":        {"Confident: every digit at or above %s.", "Seguro: todos los dígitos igual o por encima del %s."},
	"num.unsure.one":  {"⚠️ I'm not sure about the %s digit: its confidence is under %s.", "⚠️ No estoy seguro del %s dígito: su confianza es menor del %s."},
	"num.unsure.many": {"⚠️ I'm not sure about the %s digits: their confidence is under %s.", "⚠️ No estoy seguro de los dígitos %s: su confianza es menor del %s."},
	"num.and":         {" and ", " y "},
	"num.seen":        {"What I saw, digit by digit (28×28 each, as the model sees them) ↓", "Lo que he visto, dígito a dígito (28×28 cada uno, como los ve el modelo) ↓"},
	"num.ask":         {"Was I right? Press ✅ Right, or ✏️ Correct it and type the number you wrote.", "¿Ha acertado el modelo? Pulsa ✅ Correcto, o ✏️ Corregir y escribe el número que habías escrito."},
	"num.right":       {"✅ Right", "✅ Correcto"},
	"num.fix":         {"✏️ Correct it", "✏️ Corregir"},
	"num.wrong":       {"❌ It was %s. Evaluation saved.", "❌ Era el %s. Evaluación guardada correctamente."},
	"num.short.no":    {"❌ it was %s", "❌ era el %s"},
	"fix.title":       {"What number did you write?", "¿Qué número escribiste?"},
	"fix.label":       {"The number, digits only", "El número, solo dígitos"},
	"fix.placeholder": {"e.g. 2026", "p. ej. 2026"},
	"fix.empty":       {"You didn't type a number. Nothing was saved.", "No has escrito ningún número. No se ha guardado nada."},
	"fix.invalid":     {"“%s” isn't a number I can save: type only the digits 0–9, 1 to %d of them. Nothing was saved.", "«%s» no es un número que pueda guardar: escribe solo dígitos del 0 al 9, de 1 a %d. No se ha guardado nada."},

	// Evaluations.
	"eval.mismatch":  {"This button does not belong to this answer; nothing was saved.", "Este botón no pertenece a esta respuesta; no se ha guardado nada."},
	"eval.field":     {"Evaluation", "Evaluación"},
	"eval.right":     {"✅ Right! Evaluation saved.", "✅ ¡Acertó! Evaluación guardada correctamente."},
	"eval.wrong":     {"❌ It was %s. Evaluation saved.", "❌ Era %s. Evaluación guardada correctamente."},
	"eval.forbidden": {"Only the person who posted the image can evaluate this prediction.", "Solo quien publicó la imagen puede evaluar esta predicción."},
	"eval.already":   {"The evaluation has already been saved: %s", "La evaluación ya se ha guardado: %s"},
	"eval.notfound":  {"This prediction has expired or was deleted: post the image again to evaluate it.", "Esta predicción ha caducado o se ha borrado: vuelve a enviar la imagen para evaluarla."},
	"eval.short.ok":  {"✅ right", "✅ acierto"},
	"eval.short.no":  {"❌ it was %s", "❌ era %s"},

	// Mistakes with images.
	"err.invalid_image":      {"`%s` isn't an image I can read. Send a picture (PNG or JPEG) of one handwritten digit.", "La imagen `%s` no es válida. Envía una imagen (PNG o JPEG) con un dígito escrito a mano."},
	"err.unsupported_format": {"`%s`: I can't read this image format. Use PNG, JPEG, GIF, BMP or WebP.", "`%s`: no puedo leer este formato de imagen. Usa PNG, JPEG, GIF, BMP o WebP."},
	"err.too_large":          {"`%s` is too large (the limit is %s and %s pixels). Send a smaller picture.", "`%s` es demasiado grande (el límite es %s y %s píxeles). Envía una imagen más pequeña."},
	"err.no_digit":           {"I couldn't find a digit in `%s`: the image looks empty. Draw one digit with a clear stroke on a plain background.", "No he encontrado ningún dígito en `%s`: la imagen parece vacía. Dibuja un dígito con un trazo claro sobre un fondo liso."},
	"err.not_a_digit":        {"`%s` doesn't look like a digit or a number to me. Post a picture of handwritten digits, dark on light or light on dark.", "`%s` no me parece un dígito ni un número. Envía una foto de dígitos escritos a mano, oscuros sobre claro o claros sobre oscuro."},
	"err.too_many_digits":    {"`%s` holds more marks than a number I can read (at most %d digits). Crop it to one number.", "`%s` tiene más trazos de los que leo en un número (como mucho %d dígitos). Recórtala a un solo número."},
	"err.download":           {"I couldn't download `%s` from Discord. Try again in a moment.", "No he podido descargar `%s` de Discord. Inténtalo de nuevo en un momento."},
	"err.not_discord":        {"`%s`: I only read images uploaded to Discord.", "`%s`: solo leo imágenes subidas a Discord."},
	"err.predict":            {"Something went wrong while predicting `%s`. Please try again later.", "Se ha producido un error al predecir `%s`. Inténtalo de nuevo más tarde."},
	"err.internal":           {"Something went wrong on my side. Please try again later.", "Se ha producido un error. Inténtalo de nuevo más tarde."},
	"err.no_image":           {"Attach an image of a handwritten digit (PNG or JPEG) and I'll tell you which one it is.", "Carga tu imagen con el dígito dibujado (PNG o JPEG) y te diré cuál es."},
	"err.no_image_target":    {"That message has no image to read.", "Ese mensaje no tiene ninguna imagen que leer."},
	"err.busy":               {"I'm busy with a lot of images right now. Try again in a few seconds.", "Estoy ocupado con muchas imágenes ahora mismo. Inténtalo de nuevo en unos segundos."},
	"err.erasing":            {"Your data, or this server's, is being deleted right now; try again in a moment.", "Tus datos, o los de este servidor, se están borrando ahora mismo; inténtalo de nuevo en un momento."},
	"err.busy_many":          {"I'm busy with a lot of images right now and could not read the last %d pictures posted here. Send them again in a minute.", "Estoy ocupado con muchas imágenes ahora mismo y no he podido leer las últimas %d imágenes enviadas aquí. Vuelve a enviarlas dentro de un minuto."},
	"err.rate_limited":       {"⏳ Slow down a little: try again in %d s.", "⏳ Más despacio: inténtalo de nuevo dentro de %d s."},
	"err.restarting":         {"I'm restarting: try again in a minute.", "Me estoy reiniciando: inténtalo de nuevo en un minuto."},
	"err.unknown_command":    {"I don't know this command (it may have just changed). Try again in a minute.", "No conozco este comando (puede que acabe de cambiar). Inténtalo de nuevo en un minuto."},
	"err.only_in_server":     {"That only works in a server, not in DMs.", "Eso solo funciona en un servidor, no en mensajes directos."},
	"err.need_manage":        {"Server-wide statistics and other members' statistics need the Manage Server permission.", "Las estadísticas del servidor y las de otros miembros requieren el permiso Gestionar servidor."},
	"err.config_manage":      {"Only members with the Manage Server permission can change my configuration.", "Solo los miembros con el permiso Gestionar servidor pueden cambiar mi configuración."},
	"err.not_your_button":    {"This button isn't for you.", "Este botón no es para ti."},

	// /stats
	"stats.none":        {"No statistics available yet: evaluate some predictions first.", "No hay estadísticas disponibles. Evalúa alguna predicción primero."},
	"stats.title.me":    {"Your evaluations", "Tus evaluaciones"},
	"stats.title.guild": {"Evaluations in this server", "Evaluaciones en este servidor"},
	"stats.title.user":  {"Evaluations of %s in this server", "Evaluaciones de %s en este servidor"},
	"stats.num":         {"Numbers: %d evaluated · %d read right (%s) · %d cut into the wrong number of digits", "Números: %d evaluados · %d leídos bien (%s) · %d cortados en un número de dígitos erróneo"},
	"stats.num.by":      {"By length: %s", "Por longitud: %s"},
	"stats.num.length":  {"%d digits %d/%d", "%d dígitos %d/%d"},
	"stats.summary":     {"%d evaluations · %s right · mean confidence %s", "%d evaluaciones · %s de aciertos · confianza media %s"},

	// /history and /export
	"history.title":   {"Your last %d evaluations", "Tus últimas %d evaluaciones"},
	"history.title1":  {"Your last evaluation", "Tu última evaluación"},
	"history.header":  {"file · predicted (confidence) → true · date", "archivo · predicción (confianza) → real · fecha"},
	"history.none":    {"You haven't evaluated any prediction yet. Post an image of a digit and press the right button under my answer.", "Todavía no has evaluado ninguna predicción. Envía una imagen con un dígito y pulsa el botón correcto bajo mi respuesta."},
	"export.done":     {"Here are your %d evaluations as CSV.", "Aquí tienes tus %d evaluaciones en CSV."},
	"export.none":     {"Nothing to export yet: you have no evaluations.", "Nada que exportar todavía: no tienes evaluaciones."},
	"export.too_big":  {"Your export is larger than Discord lets me send (%s). Ask whoever hosts me to run `digitbot export`.", "Tu exportación es mayor de lo que Discord me deja enviar (%s). Pide a quien me aloja que ejecute `digitbot export`."},
	"history.unknown": {"(no name)", "(sin nombre)"},

	// /model
	"model.title":           {"Convolutional neural network", "Red Neuronal Convolucional"},
	"model.layers":          {"Layers", "Capas"},
	"model.params":          {"Parameters", "Parámetros"},
	"model.accuracy":        {"Test accuracy", "Precisión en test"},
	"model.acc_val":         {"%s (%s of %s MNIST test digits)", "%s (%s de %s dígitos de test de MNIST)"},
	"model.hash":            {"ONNX file SHA-256", "SHA-256 del archivo ONNX"},
	"model.runtime":         {"Runtime", "Motor"},
	"model.rt_val":          {"onnx-go v0.5.0 (pure Go, gorgonia backend), ONNX opset %d, one model per worker", "onnx-go v0.5.0 (Go puro, motor gorgonia), ONNX opset %d, un modelo por trabajador"},
	"model.source":          {"Model running", "Modelo en uso"},
	"model.embedded":        {"the one built into the bot", "el incluido en el bot"},
	"model.file":            {"from the file %s (chosen by my host)", "del archivo %s (elegido por quien me aloja)"},
	"model.data":            {"Training data", "Datos de entrenamiento"},
	"model.data_unrecorded": {"MNIST and synthetic pictures (this card does not list its data)", "MNIST e imágenes sintéticas (esta ficha no detalla sus datos)"},
	"model.data_mnist":      {"%s: %s digits trained on, %s held out", "%s: %s dígitos de entrenamiento, %s reservados"},
	"model.data_extra":      {"%s digits confirmed by members (export `%s…`, %s corrections of wrong answers): %s trained on, %s held out", "%s dígitos confirmados por miembros (exportación `%s…`, %s correcciones de respuestas erróneas): %s de entrenamiento, %s reservados"},
	"model.data_heldout":    {"(%s of those right)", "(%s de esos, bien)"},
	"model.training":        {"Training", "Entrenamiento"},
	"model.tr_val":          {"%d epochs in %.0f s with %s; augmentation: %s", "%d épocas en %.0f s con %s; aumento de datos: %s"},

	// /forget
	"forget.ask":       {"This deletes everything I have stored about you: pending predictions, evaluations and statistics, in every server and in DMs. It can't be undone. Are you sure?", "Esto borra todo lo que he guardado sobre ti: predicciones pendientes, evaluaciones y estadísticas, en todos los servidores y en mensajes directos. No se puede deshacer. ¿Seguro?"},
	"forget.confirm":   {"Delete my data", "Borrar mis datos"},
	"forget.cancel":    {"Cancel", "Cancelar"},
	"forget.done":      {"Done: everything I had stored about you has been deleted.", "Hecho: he borrado todo lo que tenía guardado sobre ti."},
	"forget.cancelled": {"Nothing was deleted.", "No se ha borrado nada."},

	// /help
	"help.title": {"Handwritten digit recognition", "Reconocimiento de dígitos escritos a mano"},
	"help.body": {
		"Draw a digit (0–9), take a picture and show it to me:\n" +
			"• post it in a channel I watch, mention me with it, or send it to me in a DM;\n" +
			"• `/predict image:` with the picture attached;\n" +
			"• on any message with images: **Apps → Recognize digit**.\n\n" +
			"I answer with the digit, my confidence (I say when I'm unsure: under %s) and what I saw. " +
			"Press the digit you had drawn under my answer: only the person who posted the image can. " +
			"A number (up to 12 digits) gets ✅ Right and ✏️ Correct it, where you type the number you wrote.\n\n" +
			"`/stats` charts your evaluations (moderators: `scope: this server`, `user:`) · `/history` your last ones · " +
			"`/export` all of them as CSV · `/model` the neural network · `/forget` deletes your data · " +
			"`/config` (moderators) watched channels and threshold.",
		"Dibuja un dígito (0–9), hazle una foto y enséñamela:\n" +
			"• publícala en un canal que vigilo, mencióname con ella o envíamela por mensaje directo;\n" +
			"• `/predecir imagen:` con la foto adjunta;\n" +
			"• en cualquier mensaje con imágenes: **Aplicaciones → Reconocer dígito**.\n\n" +
			"Te respondo con el dígito, la confianza (aviso cuando no estoy seguro: menos del %s) y lo que he visto. " +
			"Marca bajo mi respuesta el dígito que habías dibujado: solo puede hacerlo quien publicó la imagen. " +
			"Un número (hasta 12 dígitos) lleva ✅ Correcto y ✏️ Corregir, donde indicas el número que escribiste.\n\n" +
			"`/estadisticas` muestra gráficas de tus evaluaciones (moderadores: `ambito: este servidor`, `usuario:`) · " +
			"`/historial` las últimas · `/exportar` todas en CSV · `/modelo` la red neuronal · `/olvidar` borra tus datos · " +
			"`/configurar` (moderadores) canales vigilados y umbral.",
	},

	// /config
	"config.title":            {"My configuration in this server", "Mi configuración en este servidor"},
	"config.watched":          {"Watched channels", "Canales vigilados"},
	"config.none":             {"none: I answer mentions, DMs, /predict and the Apps menu", "ninguno: respondo a menciones, mensajes directos, /predecir y el menú Aplicaciones"},
	"config.threshold":        {"Confidence threshold", "Umbral de confianza"},
	"config.watch":            {"I now watch %s: every image posted there gets an answer.", "Ahora vigilo %s: responderé a cada imagen que se publique allí."},
	"config.unwatch":          {"I no longer watch %s.", "Ya no vigilo %s."},
	"config.not_watched":      {"I wasn't watching %s.", "No estaba vigilando %s."},
	"config.set_thresh":       {"Confidence threshold set to %s.", "Umbral de confianza fijado en %s."},
	"config.no_intent":        {"Note: I run without the Message Content intent, so in watched channels I only see images in messages that mention me.", "Nota: funciono sin el intent Message Content, así que en los canales vigilados solo veo las imágenes de los mensajes que me mencionan."},
	"config.invalid":          {"I couldn't save that configuration: %s", "No he podido guardar esa configuración: %s"},
	"config.too_many":         {"A server can watch at most %d channels: unwatch one first.", "Un servidor puede vigilar como mucho %d canales: deja de vigilar alguno primero."},
	"config.learning":         {"Learning from confirmed digits", "Aprender de los dígitos confirmados"},
	"config.learning_on":      {"on: the digits members confirm here may be exported as training data (no names or ids)", "activado: los dígitos que se confirman aquí pueden exportarse como datos de entrenamiento (sin nombres ni ids)"},
	"config.learning_off":     {"off: nothing from this server is exported as training data", "desactivado: nada de este servidor se exporta como datos de entrenamiento"},
	"config.set_learning_on":  {"Learning turned on: confirmed digits from this server may help train the model.", "Aprendizaje activado: los dígitos confirmados en este servidor pueden ayudar a entrenar el modelo."},
	"config.set_learning_off": {"Learning turned off: nothing from this server will be exported as training data.", "Aprendizaje desactivado: nada de este servidor se exportará como datos de entrenamiento."},
	"config.from_file":        {"(also from my host's config file)", "(también desde el archivo de configuración)"},

	// Command descriptions (names are in commands.go).
	"cmd.predict":          {"Recognise the handwritten digit in an image", "Reconoce el dígito escrito a mano de una imagen"},
	"cmd.predict.image":    {"A picture of one handwritten digit (PNG or JPEG)", "Una imagen con un dígito escrito a mano (PNG o JPEG)"},
	"cmd.stats":            {"Charts of the evaluations: accuracy per digit, confidence, hits, confusion", "Gráficas de las evaluaciones: aciertos por dígito, confianza, confusión"},
	"cmd.stats.scope":      {"Whose evaluations (default: yours)", "De quién son las evaluaciones (por defecto: tuyas)"},
	"cmd.stats.scope.me":   {"mine", "mías"},
	"cmd.stats.scope.srv":  {"this server", "este servidor"},
	"cmd.stats.user":       {"A member of this server (needs Manage Server)", "Un miembro de este servidor (requiere Gestionar servidor)"},
	"cmd.history":          {"Your last evaluations", "Tus últimas evaluaciones"},
	"cmd.history.limit":    {"How many (1–25, default 10)", "Cuántas (1–25, por defecto 10)"},
	"cmd.export":           {"All your evaluations as a CSV file", "Todas tus evaluaciones en un archivo CSV"},
	"cmd.model":            {"The neural network I use", "La red neuronal que uso"},
	"cmd.forget":           {"Delete everything stored about you", "Borra todo lo guardado sobre ti"},
	"cmd.help":             {"How to use me", "Cómo usarme"},
	"cmd.config":           {"Watched channels and confidence threshold (moderators)", "Canales vigilados y umbral de confianza (moderadores)"},
	"cmd.config.show":      {"Show the configuration", "Muestra la configuración"},
	"cmd.config.watch":     {"Answer every image posted in a channel", "Responde a cada imagen publicada en un canal"},
	"cmd.config.unwatch":   {"Stop watching a channel", "Deja de vigilar un canal"},
	"cmd.config.channel":   {"The channel", "El canal"},
	"cmd.config.threshold": {"Confidence under which I say I'm unsure", "Confianza por debajo de la cual digo que no estoy seguro"},
	"cmd.config.percent":   {"Percent, 1–99 (default 70)", "Porcentaje, 1–99 (por defecto 70)"},
	"cmd.config.learning":  {"May this server's confirmed digits help train the model? (default on)", "¿Pueden los dígitos confirmados en este servidor ayudar a entrenar el modelo? (por defecto sí)"},
	"cmd.config.state":     {"On or off", "Activado o desactivado"},
	"cmd.config.state.on":  {"on", "activado"},
	"cmd.config.state.off": {"off", "desactivado"},
}

// aNumber is a number with its indefinite article: "a 7", "an 8", "an 11"
// in English; "un 7" in Spanish (número is masculine).
func (l lang) aNumber(n int) string {
	s := strconv.Itoa(n)
	if l == langES {
		return "un " + s
	}
	// "an" before the vowel sound of eight (8, 80–89, 8000…) and of
	// eleven and eighteen heading a group of three digits (11, 18, 11 000).
	if n >= 0 && (s[0] == '8' || (len(s)%3 == 2 && (s[:2] == "11" || s[:2] == "18"))) {
		return "an " + s
	}
	return "a " + s
}
