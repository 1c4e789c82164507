// Package digitbot holds the domain types shared by every part of the bot:
// predictions, evaluations, statistics, per-server configuration, the model
// card, and the error type whose code and message are safe to show a user.
//
// The sub-packages each wrap one dependency (classifier = onnx-go,
// store = bbolt, chart = go-chart, bot = discordgo) and talk to each other
// only through the types and interfaces declared here.
package digitbot

import (
	"context"
	"io"
	"sort"
	"time"
)

// InputSide is the side of the square image the model sees.
const InputSide = 28

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

	Digit         int         `json:"digit"`
	Confidence    float64     `json:"confidence"`
	Probabilities [10]float64 `json:"probabilities"`

	// Input is the normalised 28x28 picture fed to the model, row by row,
	// 0 = background (black) and 255 = ink (white), as in MNIST. The bot shows
	// it scaled up as "what I saw".
	Input [InputSide * InputSide]uint8 `json:"-"`

	ModelSHA256 string    `json:"model_sha256,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
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
}

// Correct reports whether the model had guessed the true digit.
func (e Evaluation) Correct() bool { return e.Predicted == e.TrueDigit }

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
	Daily   []Day     `json:"daily"`
	FirstAt time.Time `json:"first_at"`
	LastAt  time.Time `json:"last_at"`
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

// GuildConfig is what a server's moderators set.
type GuildConfig struct {
	GuildID         string    `json:"guild_id"`
	WatchedChannels []string  `json:"watched_channels,omitempty"`
	Threshold       float64   `json:"threshold,omitempty"` // 0: the bot's default
	UpdatedAt       time.Time `json:"updated_at,omitempty"`
	UpdatedBy       string    `json:"updated_by,omitempty"`
}

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
	// Classify fills Digit, Confidence, Probabilities, Input, ModelSHA256
	// and CreatedAt. Errors are *Error with codes EINVALIDIMAGE,
	// EUNSUPPORTED, ETOOLARGE or ENODIGIT.
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
}
