// Package digitbot holds the domain types shared by every part of the bot:
// predictions, evaluations, statistics, per-server configuration, the model
// card, and the error type whose code and message are safe to show a user.
//
// The sub-packages each wrap one dependency (classifier = onnx-go,
// store = bbolt, postgres = pgx, chart = go-chart, bot = discordgo) and
// talk to each other only through the types and interfaces declared here.
package digitbot

import (
	"context"
	"io"
	"sort"
	"time"
)

// InputSide is the side of the square image the model sees.
const InputSide = 28

// MaxNumberDigits is the longest number a reading may hold. A picture that
// segments into more digits is refused with ETOOMANYDIGITS.
const MaxNumberDigits = 12

// DefaultThreshold is the confidence under which the bot says it is unsure
// (the original app showed confidences under 70% in red).
const DefaultThreshold = 0.70

// Prediction is what the classifier saw and concluded for one image, plus
// where it came from once the bot has answered.
type Prediction struct {
	ID        string `json:"id"`
	GuildID   string `json:"guild_id,omitempty"` // empty in DMs
	ChannelID string `json:"channel_id,omitempty"`
	MessageID string `json:"message_id,omitempty"` // the message that carried the image
	UserID    string `json:"user_id"`              // who posted the image: the only one who may evaluate

	FileName     string `json:"file_name,omitempty"`
	AttachmentID string `json:"attachment_id,omitempty"`

	// Digit, Probabilities and Input describe a one-digit reading. For a
	// number (len(Digits) > 1) Digit is -1, Probabilities and Input are zero,
	// and each digit is described in Digits.
	Digit int `json:"digit"`
	// Confidence is the calibrated probability that the whole reading is
	// right: the digit's for one digit, the number's for a number.
	Confidence    float64     `json:"confidence"`
	Probabilities [10]float64 `json:"probabilities"`

	// Input is the normalised 28x28 picture fed to the model, row by row,
	// 0 = background (black) and 255 = ink (white), as in MNIST. The bot shows
	// it scaled up as "what I saw".
	Input [InputSide * InputSide]uint8 `json:"-"`

	// Number is the digits read, left to right ("2026"; "7" for one digit).
	Number string `json:"number,omitempty"`
	// Digits holds one entry per digit of Number, left to right. A one-digit
	// reading has exactly one, equal to Digit, Confidence, Probabilities and
	// Input above.
	Digits []DigitReading `json:"digits,omitempty"`

	ModelSHA256 string    `json:"model_sha256,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// IsNumber reports whether the reading holds more than one digit.
func (p Prediction) IsNumber() bool { return len(p.Digits) > 1 }

// DigitReading is one digit of a reading.
type DigitReading struct {
	Digit         int         `json:"digit"`
	Confidence    float64     `json:"confidence"`
	Probabilities [10]float64 `json:"probabilities"`
	// Box is where the digit's ink lies in the uploaded picture, in its
	// pixels: x, y, width, height.
	Box [4]int `json:"box"`
	// Input is the 28x28 picture of this digit fed to the model (as
	// Prediction.Input).
	Input [InputSide * InputSide]uint8 `json:"-"`
}

// Candidate is one digit and the probability the model gave it.
type Candidate struct {
	Digit       int
	Probability float64
}

// Ranked returns all ten digits, most probable first (ties by digit).
func (p Prediction) Ranked() []Candidate {
	c := make([]Candidate, 10)
	for d := range c {
		c[d] = Candidate{Digit: d, Probability: p.Probabilities[d]}
	}
	sort.SliceStable(c, func(i, j int) bool { return c[i].Probability > c[j].Probability })
	return c
}

// Evaluation is a member's verdict on a prediction: the digit they had drawn.
// For a number reading, Predicted and TrueDigit are -1 and Number holds the
// verdict; the store also keeps one per-digit evaluation per position when
// the lengths match (see Evaluation.DigitVerdicts).
type Evaluation struct {
	PredictionID string    `json:"prediction_id"`
	GuildID      string    `json:"guild_id,omitempty"`
	ChannelID    string    `json:"channel_id,omitempty"`
	UserID       string    `json:"user_id"`
	FileName     string    `json:"file_name,omitempty"`
	Predicted    int       `json:"predicted"`
	Confidence   float64   `json:"confidence"`
	TrueDigit    int       `json:"true_digit"`
	PredictedAt  time.Time `json:"predicted_at"`
	EvaluatedAt  time.Time `json:"evaluated_at"`

	// Number is set when the prediction read more than one digit.
	Number *NumberVerdict `json:"number,omitempty"`
}

// NumberVerdict is a member's verdict on a number reading.
type NumberVerdict struct {
	Predicted   string    `json:"predicted"`   // "2026"
	True        string    `json:"true"`        // "2028"; any length 1..MaxNumberDigits
	Confidences []float64 `json:"confidences"` // one per predicted digit
}

// Correct reports whether the model had read the true digit or number.
func (e Evaluation) Correct() bool {
	if e.Number != nil {
		return e.Number.Predicted == e.Number.True
	}
	return e.Predicted == e.TrueDigit
}

// SegmentationError reports a number verdict whose length differs from
// the reading: the digits were cut wrongly, so no digit-level verdict
// can be drawn from it.
func (e Evaluation) SegmentationError() bool {
	return e.Number != nil && len(e.Number.Predicted) != len(e.Number.True)
}

// DigitVerdict is the verdict on one position of a reading.
type DigitVerdict struct {
	Position   int // 0 = leftmost
	Predicted  int
	True       int
	Confidence float64
}

// DigitVerdicts returns one verdict per digit: the evaluation itself for a
// one-digit reading, one per position for a number whose true value has the
// same length, and none for a segmentation error.
func (e Evaluation) DigitVerdicts() []DigitVerdict {
	if e.Number == nil {
		if e.Predicted < 0 || e.Predicted > 9 || e.TrueDigit < 0 || e.TrueDigit > 9 {
			return nil
		}
		return []DigitVerdict{{Predicted: e.Predicted, True: e.TrueDigit, Confidence: e.Confidence}}
	}
	n := e.Number
	if len(n.Predicted) != len(n.True) {
		return nil
	}
	out := make([]DigitVerdict, 0, len(n.True))
	for i := range len(n.True) {
		p, t := int(n.Predicted[i]-'0'), int(n.True[i]-'0')
		if p < 0 || p > 9 || t < 0 || t > 9 {
			return nil
		}
		c := 0.0
		if i < len(n.Confidences) {
			c = n.Confidences[i]
		}
		out = append(out, DigitVerdict{Position: i, Predicted: p, True: t, Confidence: c})
	}
	return out
}

// ValidNumber reports whether s is 1..MaxNumberDigits ASCII digits.
func ValidNumber(s string) bool {
	if len(s) == 0 || len(s) > MaxNumberDigits {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Scope selects whose evaluations a query covers. Both empty: everything in
// the file. GuildID only: a whole server. UserID only: a user everywhere
// (including DMs). Both: a user in one server.
type Scope struct {
	GuildID string `json:"guild_id,omitempty"`
	UserID  string `json:"user_id,omitempty"`
}

// DigitStats counts evaluations of one true digit.
type DigitStats struct {
	Count int `json:"count"`
	Hits  int `json:"hits"`
}

// Point is one evaluation on the time axis.
type Point struct {
	Time       time.Time `json:"time"`
	Confidence float64   `json:"confidence"`
	Correct    bool      `json:"correct"`
}

// Day aggregates the evaluations of one UTC day.
type Day struct {
	Date          time.Time `json:"date"` // midnight UTC
	Count         int       `json:"count"`
	Hits          int       `json:"hits"`
	ConfidenceSum float64   `json:"confidence_sum"`
}

// StatsRecentPoints is how many of the newest evaluations Stats.Recent holds.
const StatsRecentPoints = 500

// Stats summarises the evaluations of a scope.
type Stats struct {
	Scope         Scope          `json:"scope"`
	Total         int            `json:"total"`
	Hits          int            `json:"hits"`
	ConfidenceSum float64        `json:"confidence_sum"`
	Digits        [10]DigitStats `json:"digits"`    // by true digit
	Confusion     [10][10]int    `json:"confusion"` // [true][predicted]
	// Recent holds up to StatsRecentPoints of the newest evaluations, oldest
	// first. When Total > len(Recent), the earlier ones are only in Daily.
	Recent []Point `json:"recent"`
	// Daily holds one entry per UTC day that has evaluations, oldest first.
	Daily []Day `json:"daily"`
	// Numbers counts the evaluations of number readings (two or more
	// digits read). Their digits also count above, one per position, when
	// the true number has the reading's length.
	Numbers NumberStats `json:"numbers"`
	FirstAt time.Time   `json:"first_at"`
	LastAt  time.Time   `json:"last_at"`
}

// Accuracy is the share of correct predictions, 0 when there are none.
func (s Stats) Accuracy() float64 {
	if s.Total == 0 {
		return 0
	}
	return float64(s.Hits) / float64(s.Total)
}

// MeanConfidence is the mean confidence of the evaluated predictions.
func (s Stats) MeanConfidence() float64 {
	if s.Total == 0 {
		return 0
	}
	return s.ConfidenceSum / float64(s.Total)
}

// NumberStats counts evaluations of number readings.
type NumberStats struct {
	Count int `json:"count"`
	Hits  int `json:"hits"` // every digit right
	// SegmentationErrors counts verdicts whose length differed from the
	// reading's.
	SegmentationErrors int `json:"segmentation_errors"`
	// ByLength counts by the true number's length (index = digits, 0 unused).
	ByLength [MaxNumberDigits + 1]DigitStats `json:"by_length"`
}

// GuildConfig is what a server's moderators set.
type GuildConfig struct {
	GuildID         string   `json:"guild_id"`
	WatchedChannels []string `json:"watched_channels,omitempty"`
	Threshold       float64  `json:"threshold,omitempty"` // 0: the bot's default
	// Learning says whether the server's confirmed evaluations may become
	// training data (digitbot dataset): LearningOn, LearningOff, or empty
	// for the default, on.
	Learning  string    `json:"learning,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitempty"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// The values of GuildConfig.Learning.
const (
	LearningOn  = "on"
	LearningOff = "off"
)

// Contributes reports whether the server's confirmed evaluations may be
// exported as training data: yes unless its moderators turned it off.
func (c GuildConfig) Contributes() bool { return c.Learning != LearningOff }

// Watches reports whether channelID is one of the watched channels.
func (c GuildConfig) Watches(channelID string) bool {
	for _, id := range c.WatchedChannels {
		if id == channelID {
			return true
		}
	}
	return false
}

// Classifier turns image bytes into a prediction. Implementations are safe
// for concurrent use.
type Classifier interface {
	// Classify reads the digit or number in an image: it fills Number,
	// Digits, Digit, Confidence, Probabilities, Input, ModelSHA256 and
	// CreatedAt. Errors are *Error with codes EINVALIDIMAGE, EUNSUPPORTED,
	// ETOOLARGE, ENODIGIT (blank, or not a digit) or ETOOMANYDIGITS.
	Classify(ctx context.Context, data []byte) (Prediction, error)
	// Card describes the model.
	Card() ModelCard
}

// Store keeps predictions, evaluations and server configuration.
// Implementations are safe for concurrent use.
type Store interface {
	// SavePrediction stores a pending prediction, assigning p.ID if empty.
	SavePrediction(ctx context.Context, p *Prediction) error
	// Prediction returns a stored prediction (ENOTFOUND if unknown or expired).
	Prediction(ctx context.Context, id string) (Prediction, error)
	// Evaluate records userID's verdict. Only the prediction's owner may
	// evaluate (EFORBIDDEN). A second call returns the existing evaluation
	// with an EALREADYEVALUATED error. Unknown id: ENOTFOUND; digit outside
	// 0-9: EINVALID.
	Evaluate(ctx context.Context, predictionID, userID string, trueDigit int) (Evaluation, error)
	// EvaluateNumber records userID's verdict on a number reading: the
	// true number, 1..MaxNumberDigits digits (EINVALID otherwise). Same
	// owner and first-verdict-wins rules as Evaluate.
	EvaluateNumber(ctx context.Context, predictionID, userID, trueNumber string) (Evaluation, error)
	// Evaluation returns the evaluation of a prediction, ENOTFOUND if none.
	Evaluation(ctx context.Context, predictionID string) (Evaluation, error)
	// History returns the newest evaluations of a scope, newest first.
	History(ctx context.Context, scope Scope, limit int) ([]Evaluation, error)
	Stats(ctx context.Context, scope Scope) (Stats, error)
	// ExportCSV writes every evaluation of a scope as CSV with a header row.
	ExportCSV(ctx context.Context, scope Scope, w io.Writer) error
	// GuildConfig returns a server's configuration (defaults if never set).
	GuildConfig(ctx context.Context, guildID string) (GuildConfig, error)
	SetGuildConfig(ctx context.Context, cfg GuildConfig) error
	// ForgetUser deletes everything stored about a user.
	ForgetUser(ctx context.Context, userID string) error
	// PurgeGuild deletes everything stored about a server.
	PurgeGuild(ctx context.Context, guildID string) error
}

// ModelCard describes the model: the contents of models/digits.json.
type ModelCard struct {
	Name         string       `json:"name"`
	Description  string       `json:"description"`
	Layers       []ModelLayer `json:"layers"`
	TotalParams  int          `json:"total_params"`
	Opset        int          `json:"opset"`
	Input        ModelInput   `json:"input"`
	TestAccuracy float64      `json:"test_accuracy"` // on the 10,000 MNIST test digits, in PyTorch
	TestCorrect  int          `json:"test_correct"`
	TestTotal    int          `json:"test_total"`
	ONNXSHA256   string       `json:"onnx_sha256"`
	SelfTest     SelfTest     `json:"self_test"`
	Training     Training     `json:"training"`

	// Classes is the number of logits the graph outputs: 10 digits, or 11
	// when class NotDigitClass (10) means "not a digit". 0 reads as 10.
	Classes int `json:"classes,omitempty"`
	// Temperature divides the logits before the softmax so that the
	// confidence is calibrated (fitted on held-out training data, never
	// the test set). 0 reads as 1.
	Temperature float64 `json:"temperature,omitempty"`
	// Calibration reports how well the confidence means what it says.
	Calibration *Calibration `json:"calibration,omitempty"`
	// Rejection reports the "not a digit" class on held-out sets.
	Rejection *Rejection `json:"rejection,omitempty"`
	// ShiftAverageBelow: a digit whose one-pass top probability (the
	// softmax of the raw logits) is below it is read by the mean of the
	// logits for its input and for the input moved one pixel left, right,
	// up and down; the card's figures (accuracy, temperature, operating
	// point) were measured that way. 0 in older cards: always one pass.
	ShiftAverageBelow float64 `json:"shift_average_below,omitempty"`
	// TrainingData lists what the model learnt from: MNIST, then each
	// export of confirmed samples it was given (train.py --extra), with
	// that export's datasheet hash and counts. Empty in older cards.
	TrainingData []DataSource `json:"training_data,omitempty"`
}

// DataSource is one body of training data a model learnt from.
type DataSource struct {
	Name   string `json:"name"`   // "MNIST" or "confirmed samples"
	Source string `json:"source"` // where it came from
	// DatasheetSHA256 is an export's content hash (its datasheet's
	// content_sha256): which samples exactly.
	DatasheetSHA256 string `json:"datasheet_sha256,omitempty"`
	Samples         int    `json:"samples,omitempty"`
	ByDigit         []int  `json:"by_digit,omitempty"`
	// Corrections counts the samples that corrected a wrong answer.
	Corrections int `json:"corrections,omitempty"`
	Train       int `json:"train"`    // samples trained on
	HeldOut     int `json:"held_out"` // samples kept out of training for evaluation
	// HeldOutCorrect is how many held-out samples the model answered
	// right (a refusal counts as wrong), for exports of confirmed samples.
	HeldOutCorrect int `json:"held_out_correct,omitempty"`
	Test           int `json:"test,omitempty"` // MNIST's test set
	TestCorrect    int `json:"test_correct,omitempty"`
}

// NotDigitClass is the index of the "not a digit" logit in an 11-class model.
const NotDigitClass = 10

// Calibration is the expected calibration error (15 equal-width bins) of
// the model's top-class confidence, before and after the temperature.
type Calibration struct {
	Split     string  `json:"split"` // what it was measured on
	Samples   int     `json:"samples"`
	ECEBefore float64 `json:"ece_before"`
	ECEAfter  float64 `json:"ece_after"`
}

// Rejection reports how the model tells digits from other pictures.
type Rejection struct {
	Split            string  `json:"split"`
	NegativesTotal   int     `json:"negatives_total"`
	NegativesRefused float64 `json:"negatives_refused"` // share of non-digits refused
	DigitsRefused    float64 `json:"digits_refused"`    // share of real digits refused
}

// ModelLayer is one row of the model summary.
type ModelLayer struct {
	Name        string `json:"name"`
	Type        string `json:"type"` // e.g. "Conv2d(1, 32, kernel 3x3)"
	OutputShape []int  `json:"output_shape"`
	Params      int    `json:"params"`
}

// ModelInput says what the model expects.
type ModelInput struct {
	Shape       []int   `json:"shape"` // [1,1,28,28]
	Mean        float64 `json:"mean"`  // applied as (x/255 - mean) / std
	Std         float64 `json:"std"`
	Description string  `json:"description"`
}

// SelfTest is a fixed input and the logits the exported model gave for it.
type SelfTest struct {
	Pixels []uint8   `json:"pixels"` // 784 raw pixels, 0..255, white on black
	Logits []float64 `json:"logits"`
	Label  int       `json:"label"`
}

// Training records how the model was made.
type Training struct {
	Command      string  `json:"command"`
	Epochs       int     `json:"epochs"`
	Seconds      float64 `json:"seconds"`
	Seed         int     `json:"seed"`
	Augmentation string  `json:"augmentation"`
	Framework    string  `json:"framework"` // e.g. "torch 2.x"
	Date         string  `json:"date"`
	// Reexport is set when the weights were exported again without
	// training (train.py --init-onnx M --epochs 0): the operating point,
	// calibration and measurements are new, the rest above is M's.
	Reexport *Reexport `json:"reexport,omitempty"`
}

// Reexport records an export of trained weights without training.
type Reexport struct {
	Command        string `json:"command"`
	Date           string `json:"date"`
	FromONNXSHA256 string `json:"from_onnx_sha256"`
}
