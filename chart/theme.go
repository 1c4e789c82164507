package chart

import (
	"image/color"

	"github.com/digitbot/digitbot"
	gochart "github.com/wcharczuk/go-chart/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"
)

// The palette follows the original app's Streamlit theme (dark base, primary
// #f2a416, text #EEEDEB) and keeps one meaning per colour across panels:
// blue = right / accuracy, orange = volume / confidence, red = wrong.
var (
	colBackground = hex(0x15, 0x17, 0x1c)
	colPanel      = hex(0x1f, 0x22, 0x2a)
	colCellEmpty  = hex(0x28, 0x2c, 0x36)
	colGrid       = hex(0x34, 0x39, 0x45)
	colAxis       = hex(0x5a, 0x60, 0x6e)
	colText       = hex(0xee, 0xed, 0xeb)
	colMuted      = hex(0xa4, 0xa9, 0xb4)
	colPrimary    = hex(0xf2, 0xa4, 0x16) // original primaryColor, count bars
	colAccuracy   = hex(0x6f, 0x8f, 0xf2) // the original #213f99, lightened to read on dark
	colWrong      = hex(0xf0, 0x55, 0x6a)
	colThreshold  = hex(0xe8, 0xe6, 0xe3)
	colDarkText   = hex(0x12, 0x14, 0x18)
)

func hex(r, g, b uint8) drawing.Color { return drawing.Color{R: r, G: g, B: b, A: 255} }

func rgba(c drawing.Color) color.RGBA { return color.RGBA{R: c.R, G: c.G, B: c.B, A: c.A} }

// mix blends a towards b by t in [0,1].
func mix(a, b drawing.Color, t float64) drawing.Color {
	if t < 0 {
		t = 0
	}
	if t > 1 {
		t = 1
	}
	l := func(x, y uint8) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*t + 0.5) }
	return drawing.Color{R: l(a.R, b.R), G: l(a.G, b.G), B: l(a.B, b.B), A: 255}
}

// darkPalette makes go-chart's own defaults (backgrounds, axes, text)
// match the dark theme, so nothing falls back to its white look.
type darkPalette struct{}

func (darkPalette) BackgroundColor() drawing.Color       { return colPanel }
func (darkPalette) BackgroundStrokeColor() drawing.Color { return colPanel }
func (darkPalette) CanvasColor() drawing.Color           { return colPanel }
func (darkPalette) CanvasStrokeColor() drawing.Color     { return colPanel }
func (darkPalette) AxisStrokeColor() drawing.Color       { return colAxis }
func (darkPalette) TextColor() drawing.Color             { return colMuted }
func (darkPalette) GetSeriesColor(i int) drawing.Color {
	return []drawing.Color{colPrimary, colAccuracy, colWrong, colText}[i%4]
}

var _ gochart.ColorPalette = darkPalette{}

// texts holds every word the image shows, per language.
type texts struct {
	defaultTitle   string
	evaluations    string
	accuracy       string
	meanConfidence string
	noEvaluations  string
	noEvalHint     string
	perDigit       string
	confidence     string
	hits           string
	confusion      string
	count          string
	right          string
	wrong          string
	threshold      string // followed by the percentage
	dailyMean      string
	dailyAccuracy  string
	rollingMean    string
	hitsLine       string
	totalLine      string
	lastN          string // "last %d"
	trueAxis       string
	predictedAxis  string
	noTimeline     string
	numbers        string // "%s of %s numbers read right"
	numbersMiscut  string // "%s cut wrongly"
	noDigitScored  string
	noDigitHint    string
	months         [12]string
	decimalComma   bool
}

var textsEN = texts{
	defaultTitle:   "digitbot stats",
	evaluations:    "evaluations",
	accuracy:       "accuracy",
	meanConfidence: "mean confidence",
	noEvaluations:  "No evaluations yet",
	noEvalHint:     "Post a digit, then press the button with the digit you drew.",
	perDigit:       "Per true digit",
	confidence:     "Confidence over time",
	hits:           "Hits over time",
	confusion:      "Confusion matrix",
	count:          "count",
	right:          "right",
	wrong:          "wrong",
	threshold:      "threshold",
	dailyMean:      "mean confidence",
	dailyAccuracy:  "accuracy",
	rollingMean:    "rolling mean",
	hitsLine:       "hits",
	totalLine:      "evaluations",
	lastN:          "last %d",
	trueAxis:       "true",
	predictedAxis:  "predicted",
	noTimeline:     "no dated evaluations",
	numbers:        "%s of %s numbers read right",
	numbersMiscut:  "%s cut into the wrong number of digits",
	noDigitScored:  "No digit to score yet",
	noDigitHint:    "Every number so far was cut into the wrong number of digits.",
	months:         [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
}

var textsES = texts{
	defaultTitle:   "Estadísticas de digitbot",
	evaluations:    "evaluaciones",
	accuracy:       "aciertos",
	meanConfidence: "confianza media",
	noEvaluations:  "Aún no hay evaluaciones",
	noEvalHint:     "Envía un dígito y pulsa el botón del dígito que dibujaste.",
	perDigit:       "Por dígito real",
	confidence:     "Confianza a lo largo del tiempo",
	hits:           "Evolución de aciertos",
	confusion:      "Matriz de confusión",
	count:          "número",
	right:          "acierto",
	wrong:          "fallo",
	threshold:      "umbral",
	dailyMean:      "confianza media",
	dailyAccuracy:  "aciertos",
	rollingMean:    "media móvil",
	hitsLine:       "aciertos",
	totalLine:      "evaluaciones",
	lastN:          "últimas %d",
	trueAxis:       "real",
	predictedAxis:  "predicho",
	noTimeline:     "sin evaluaciones con fecha",
	numbers:        "%s de %s números leídos bien",
	numbersMiscut:  "%s cortados en un número de dígitos erróneo",
	noDigitScored:  "Aún no hay dígitos que puntuar",
	noDigitHint:    "Todos los números se han cortado en un número de dígitos erróneo.",
	months:         [12]string{"ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"},
	decimalComma:   true,
}

func textsFor(lang string) texts {
	if digitbot.LangOfLocale(lang) == digitbot.LangSpanish {
		return textsES
	}
	return textsEN
}
