package digitbottest

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/digitbot/digitbot"
)

// Store is an in-memory digitbot.Store with the real store's rules: only
// the poster evaluates (EFORBIDDEN), the first verdict wins (the others get
// it back with EALREADYEVALUATED), refusals write nothing. Statistics are
// digitbot.NewStats over the stored evaluations. It keeps predictions for
// ever (no expiry).
type Store struct {
	mu          sync.Mutex
	predictions map[string]digitbot.Prediction
	evaluations map[string]digitbot.Evaluation
	configs     map[string]digitbot.GuildConfig
	nextID      int
	now         func() time.Time

	failPredictionReads error
	// held, when not nil, blocks verdicts until it is closed.
	held chan struct{}
}

var _ digitbot.Store = (*Store)(nil)

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{
		predictions: map[string]digitbot.Prediction{},
		evaluations: map[string]digitbot.Evaluation{},
		configs:     map[string]digitbot.GuildConfig{},
		now:         time.Now,
	}
}

// FailPredictionReads makes Prediction and Evaluation fail with err (nil
// restores them), as a store that cannot be read just then; writes still
// work and still enforce the rules.
func (s *Store) FailPredictionReads(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failPredictionReads = err
}

// HoldVerdicts makes Evaluate and EvaluateNumber wait, as a slow store
// would, until release is called (or their context ends).
func (s *Store) HoldVerdicts() (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	held := make(chan struct{})
	s.held = held
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			if s.held == held {
				s.held = nil
			}
			s.mu.Unlock()
			close(held)
		})
	}
}

// Predictions returns every stored prediction, oldest id first.
func (s *Store) Predictions() []digitbot.Prediction {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]digitbot.Prediction, 0, len(s.predictions))
	for _, p := range s.predictions {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (s *Store) SavePrediction(ctx context.Context, p *digitbot.Prediction) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(p.Digits) > digitbot.MaxNumberDigits {
		return digitbot.Errorf(digitbot.EINVALID, "A reading holds at most %d digits.", digitbot.MaxNumberDigits)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.ID == "" {
		s.nextID++
		p.ID = fmt.Sprintf("p%06d", s.nextID)
	}
	c := *p
	c.Digits = append([]digitbot.DigitReading(nil), p.Digits...)
	s.predictions[p.ID] = c
	return nil
}

func (s *Store) Prediction(ctx context.Context, id string) (digitbot.Prediction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failPredictionReads != nil {
		return digitbot.Prediction{}, s.failPredictionReads
	}
	p, ok := s.predictions[id]
	if !ok {
		return digitbot.Prediction{}, digitbot.Errorf(digitbot.ENOTFOUND, "There is no prediction %q.", id)
	}
	return p, nil
}

func (s *Store) Evaluate(ctx context.Context, predictionID, userID string, trueDigit int) (digitbot.Evaluation, error) {
	if trueDigit < 0 || trueDigit > 9 {
		return digitbot.Evaluation{}, digitbot.Errorf(digitbot.EINVALID, "The true digit must be between 0 and 9, not %d.", trueDigit)
	}
	return s.evaluate(ctx, predictionID, userID, func(p digitbot.Prediction, e *digitbot.Evaluation) error {
		if p.IsNumber() {
			return digitbot.Errorf(digitbot.EINVALID, "This prediction is a number: evaluate it with a number.")
		}
		e.TrueDigit = trueDigit
		return nil
	})
}

func (s *Store) EvaluateNumber(ctx context.Context, predictionID, userID, trueNumber string) (digitbot.Evaluation, error) {
	if !digitbot.ValidNumber(trueNumber) {
		return digitbot.Evaluation{}, digitbot.Errorf(digitbot.EINVALID, "The true number must be 1 to %d digits.", digitbot.MaxNumberDigits)
	}
	return s.evaluate(ctx, predictionID, userID, func(p digitbot.Prediction, e *digitbot.Evaluation) error {
		if !p.IsNumber() {
			// A one-digit reading corrected with one digit is a digit verdict.
			if len(trueNumber) != 1 {
				return digitbot.Errorf(digitbot.EINVALID, "This prediction is one digit.")
			}
			e.TrueDigit = int(trueNumber[0] - '0')
			return nil
		}
		conf := make([]float64, len(p.Digits))
		for i, d := range p.Digits {
			conf[i] = d.Confidence
		}
		e.Predicted, e.TrueDigit = -1, -1
		e.Number = &digitbot.NumberVerdict{Predicted: p.Number, True: trueNumber, Confidences: conf}
		return nil
	})
}

func (s *Store) evaluate(ctx context.Context, predictionID, userID string, fill func(digitbot.Prediction, *digitbot.Evaluation) error) (digitbot.Evaluation, error) {
	s.mu.Lock()
	held := s.held
	s.mu.Unlock()
	if held != nil {
		select {
		case <-held:
		case <-ctx.Done():
		}
	}
	if err := ctx.Err(); err != nil {
		return digitbot.Evaluation{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.predictions[predictionID]
	if !ok {
		return digitbot.Evaluation{}, digitbot.Errorf(digitbot.ENOTFOUND, "There is no prediction %q.", predictionID)
	}
	if p.UserID != userID {
		return digitbot.Evaluation{}, digitbot.Errorf(digitbot.EFORBIDDEN, "Only the person who posted the image can say what it was.")
	}
	if old, ok := s.evaluations[predictionID]; ok {
		return old, digitbot.Errorf(digitbot.EALREADYEVALUATED, "This prediction was already evaluated.")
	}
	e := digitbot.Evaluation{
		PredictionID: p.ID, GuildID: p.GuildID, ChannelID: p.ChannelID, UserID: p.UserID,
		FileName: p.FileName, Predicted: p.Digit, Confidence: p.Confidence,
		PredictedAt: p.CreatedAt.UTC(), EvaluatedAt: s.now().UTC(),
	}
	if err := fill(p, &e); err != nil {
		return digitbot.Evaluation{}, err
	}
	s.evaluations[predictionID] = e
	return e, nil
}

func (s *Store) Evaluation(ctx context.Context, predictionID string) (digitbot.Evaluation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failPredictionReads != nil {
		return digitbot.Evaluation{}, s.failPredictionReads
	}
	e, ok := s.evaluations[predictionID]
	if !ok {
		return digitbot.Evaluation{}, digitbot.Errorf(digitbot.ENOTFOUND, "Prediction %q has not been evaluated.", predictionID)
	}
	return e, nil
}

// inScope lists a scope's evaluations, newest first.
func (s *Store) inScope(scope digitbot.Scope) []digitbot.Evaluation {
	var out []digitbot.Evaluation
	for _, e := range s.evaluations {
		if (scope.GuildID == "" || e.GuildID == scope.GuildID) && (scope.UserID == "" || e.UserID == scope.UserID) {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].EvaluatedAt.Equal(out[j].EvaluatedAt) {
			return out[i].EvaluatedAt.After(out[j].EvaluatedAt)
		}
		return out[i].PredictionID > out[j].PredictionID
	})
	return out
}

func (s *Store) History(ctx context.Context, scope digitbot.Scope, limit int) ([]digitbot.Evaluation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.inScope(scope)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (s *Store) Stats(ctx context.Context, scope digitbot.Scope) (digitbot.Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return digitbot.NewStats(scope, s.inScope(scope)), nil
}

// ExportCSV writes one row per evaluation, oldest first. Its columns are
// this double's own; the real store defines the export format.
func (s *Store) ExportCSV(ctx context.Context, scope digitbot.Scope, w io.Writer) error {
	s.mu.Lock()
	evals := s.inScope(scope)
	s.mu.Unlock()
	cw := csv.NewWriter(w)
	cw.Write([]string{"prediction_id", "user_id", "predicted", "true", "confidence", "evaluated_at"})
	for i := len(evals) - 1; i >= 0; i-- {
		e := evals[i]
		pred, truth := strconv.Itoa(e.Predicted), strconv.Itoa(e.TrueDigit)
		if e.Number != nil {
			pred, truth = e.Number.Predicted, e.Number.True
		}
		cw.Write([]string{e.PredictionID, e.UserID, pred, truth, strconv.FormatFloat(e.Confidence, 'f', 4, 64), e.EvaluatedAt.Format(time.RFC3339)})
	}
	cw.Flush()
	return cw.Error()
}

func (s *Store) GuildConfig(ctx context.Context, guildID string) (digitbot.GuildConfig, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.configs[guildID]; ok {
		c.WatchedChannels = append([]string(nil), c.WatchedChannels...)
		return c, nil
	}
	return digitbot.GuildConfig{GuildID: guildID}, nil
}

func (s *Store) SetGuildConfig(ctx context.Context, cfg digitbot.GuildConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg.WatchedChannels = append([]string(nil), cfg.WatchedChannels...)
	s.configs[cfg.GuildID] = cfg
	return nil
}

func (s *Store) ForgetUser(ctx context.Context, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, p := range s.predictions {
		if p.UserID == userID {
			delete(s.predictions, id)
			delete(s.evaluations, id)
		}
	}
	return nil
}

func (s *Store) PurgeGuild(ctx context.Context, guildID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, p := range s.predictions {
		if p.GuildID == guildID {
			delete(s.predictions, id)
			delete(s.evaluations, id)
		}
	}
	delete(s.configs, guildID)
	return nil
}
