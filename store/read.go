package store

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/digitbot/digitbot"
	bolt "go.etcd.io/bbolt"
)

func jsonMarshal(v any) ([]byte, error)   { return json.Marshal(v) }
func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// Prediction returns a stored prediction: evaluated ones until they are
// forgotten, pending ones until PendingTTL (ENOTFOUND after that, even
// before Sweep has removed them).
func (db *DB) Prediction(ctx context.Context, id string) (digitbot.Prediction, error) {
	if err := ctx.Err(); err != nil {
		return digitbot.Prediction{}, err
	}
	var (
		rec   record
		found bool
	)
	err := db.bolt.View(func(tx *bolt.Tx) error {
		key := idKey(id)
		v := tx.Bucket(bucketPredictions).Get(key)
		if v == nil {
			return nil
		}
		found = true
		var err error
		rec, err = decodeRecord(tx.Bucket(bucketModels), key, v)
		return err
	})
	if err != nil {
		return digitbot.Prediction{}, storeError("prediction", err)
	}
	if !found || (!rec.Evaluated && db.expired(rec.P, db.now())) {
		return digitbot.Prediction{}, notFound(id)
	}
	return rec.P, nil
}

// Evaluation returns the evaluation of a prediction, ENOTFOUND if none.
func (db *DB) Evaluation(ctx context.Context, predictionID string) (digitbot.Evaluation, error) {
	if err := ctx.Err(); err != nil {
		return digitbot.Evaluation{}, err
	}
	var (
		e     digitbot.Evaluation
		found bool
	)
	err := db.bolt.View(func(tx *bolt.Tx) error {
		key := idKey(predictionID)
		v := tx.Bucket(bucketPredictions).Get(key)
		if v == nil || !recordEvaluated(v) {
			return nil
		}
		found = true
		rec, err := decodeVerdict(tx.Bucket(bucketModels), key, v)
		e = rec.evaluation()
		return err
	})
	if err != nil {
		return digitbot.Evaluation{}, storeError("evaluation", err)
	}
	if !found {
		return digitbot.Evaluation{}, digitbot.Errorf(digitbot.ENOTFOUND, "Prediction %q has not been evaluated.", predictionID)
	}
	return e, nil
}

// History returns the newest evaluations of a scope, newest first, at most
// limit of them (all when limit <= 0).
func (db *DB) History(ctx context.Context, scope digitbot.Scope, limit int) ([]digitbot.Evaluation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []digitbot.Evaluation
	err := db.bolt.View(func(tx *bolt.Tx) error {
		out = nil
		b := tx.Bucket(bucketScopes).Bucket(scopeKey(scope))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, _ := c.Last(); k != nil && k[0] == prefixPoint && (limit <= 0 || len(out) < limit); k, _ = c.Prev() {
			e, err := lookupEvaluation(tx, k)
			if err != nil {
				return err
			}
			if inServer(scope, e) {
				out = append(out, e)
			}
		}
		return nil
	})
	return out, storeError("history", err)
}

// inServer reports whether e, read from a user's scope, belongs to scope:
// all of them, unless scope is a user in one server (see memberScope).
func inServer(scope digitbot.Scope, e digitbot.Evaluation) bool {
	return !memberScope(scope) || e.GuildID == scope.GuildID
}

// lookupEvaluation reads the evaluation a point stands for.
func lookupEvaluation(tx *bolt.Tx, pointKey []byte) (digitbot.Evaluation, error) {
	if len(pointKey) < 9 {
		return digitbot.Evaluation{}, fmt.Errorf("corrupt point key %x", pointKey)
	}
	id := pointKey[9:]
	v := tx.Bucket(bucketPredictions).Get(id)
	if v == nil || !recordEvaluated(v) {
		return digitbot.Evaluation{}, fmt.Errorf("point without evaluation %q", id)
	}
	rec, err := decodeVerdict(tx.Bucket(bucketModels), id, v)
	if err != nil {
		return digitbot.Evaluation{}, fmt.Errorf("evaluation %q: %w", id, err)
	}
	return rec.evaluation(), nil
}

// Stats returns a scope's statistics from its aggregates: one totals key,
// one key per day with evaluations, and the points of the newest
// StatsRecentPoints digit verdicts, whatever the number of evaluations.
func (db *DB) Stats(ctx context.Context, scope digitbot.Scope) (digitbot.Stats, error) {
	if err := ctx.Err(); err != nil {
		return digitbot.Stats{}, err
	}
	if memberScope(scope) {
		return db.memberStats(scope)
	}
	s := digitbot.Stats{Scope: scope}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		s = digitbot.Stats{Scope: scope}
		b := tx.Bucket(bucketScopes).Bucket(scopeKey(scope))
		if b == nil {
			return nil
		}
		t, err := decodeTotals(b.Get([]byte{prefixTotals}))
		if err != nil {
			return err
		}
		s.Total, s.Hits, s.ConfidenceSum = int(t.Total), int(t.Hits), float64(t.ConfSum)/confScale
		for d := range t.Digits {
			s.Digits[d] = digitbot.DigitStats{Count: int(t.Digits[d].Count), Hits: int(t.Digits[d].Hits)}
			for p := range t.Confusion[d] {
				s.Confusion[d][p] = int(t.Confusion[d][p])
			}
		}
		n := &t.Numbers
		s.Numbers = digitbot.NumberStats{Count: int(n.Count), Hits: int(n.Hits), SegmentationErrors: int(n.SegmentationErrors)}
		for l := range n.ByLength {
			s.Numbers.ByLength[l] = digitbot.DigitStats{Count: int(n.ByLength[l].Count), Hits: int(n.ByLength[l].Hits)}
		}
		c := b.Cursor()
		if !keepsDays(scope) {
			if s.Daily, err = daysFromPoints(c); err != nil {
				return err
			}
		}
		for k, v := c.Seek([]byte{prefixDay}); k != nil && k[0] == prefixDay; k, v = c.Next() {
			d, err := decodeDay(v)
			if err != nil {
				return err
			}
			s.Daily = append(s.Daily, digitbot.Day{Date: dayFromKey(k), Count: int(d.Count), Hits: int(d.Hits), ConfidenceSum: float64(d.ConfSum) / confScale})
		}
		// Newest first: each point's verdicts are reversed with the rest,
		// so a number cut at the limit keeps its last positions, as
		// digitbot.NewStats does.
		var pts []digitbot.Point
		for k, v := c.Last(); k != nil && k[0] == prefixPoint && len(s.Recent) < digitbot.StatsRecentPoints; k, v = c.Prev() {
			if pts, err = decodePoint(pts[:0], k, v); err != nil {
				return err
			}
			for i := len(pts) - 1; i >= 0 && len(s.Recent) < digitbot.StatsRecentPoints; i-- {
				s.Recent = append(s.Recent, pts[i])
			}
		}
		if len(s.Recent) == 0 {
			return nil
		}
		for i, j := 0, len(s.Recent)-1; i < j; i, j = i+1, j-1 {
			s.Recent[i], s.Recent[j] = s.Recent[j], s.Recent[i]
		}
		s.LastAt = s.Recent[len(s.Recent)-1].Time
		// The first point with a digit verdict: segmentation errors have
		// none.
		for k, v := c.Seek([]byte{prefixPoint}); k != nil && k[0] == prefixPoint; k, v = c.Next() {
			if len(v) > 0 {
				s.FirstAt = keyTime(k[1:9])
				break
			}
		}
		return nil
	})
	if err != nil {
		return digitbot.Stats{}, storeError("stats", err)
	}
	return s, nil
}

// daysFromPoints sums a scope's points by UTC day, oldest first, as the
// day aggregates of the scopes that keep them would.
func daysFromPoints(c *bolt.Cursor) ([]digitbot.Day, error) {
	var (
		days []digitbot.Day
		agg  dayAgg
		pts  []digitbot.Point
		err  error
	)
	day := int64(math.MinInt64)
	flush := func() {
		if agg.Count > 0 {
			days = append(days, digitbot.Day{Date: time.Unix(day*86400, 0).UTC(), Count: int(agg.Count), Hits: int(agg.Hits), ConfidenceSum: float64(agg.ConfSum) / confScale})
		}
		agg = dayAgg{}
	}
	for k, v := c.Seek([]byte{prefixPoint}); k != nil && k[0] == prefixPoint; k, v = c.Next() {
		if pts, err = decodePoint(pts[:0], k, v); err != nil {
			return nil, err
		}
		if len(pts) == 0 {
			continue
		}
		if n := dayNumber(pts[0].Time); n != day {
			flush()
			day = n
		}
		for _, p := range pts {
			agg.Count++
			agg.ConfSum += confFixed(p.Confidence)
			if p.Correct {
				agg.Hits++
			}
		}
	}
	flush()
	return days, nil
}

// memberStats computes a user-in-server scope's statistics from the
// evaluations of the user's scope in that server (see memberScope).
func (db *DB) memberStats(scope digitbot.Scope) (digitbot.Stats, error) {
	var evals []digitbot.Evaluation
	err := db.bolt.View(func(tx *bolt.Tx) error {
		evals = evals[:0]
		b := tx.Bucket(bucketScopes).Bucket(scopeKey(scope))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, _ := c.Seek([]byte{prefixPoint}); k != nil && k[0] == prefixPoint; k, _ = c.Next() {
			e, err := lookupEvaluation(tx, k)
			if err != nil {
				return err
			}
			if inServer(scope, e) {
				evals = append(evals, e)
			}
		}
		return nil
	})
	if err != nil {
		return digitbot.Stats{}, storeError("stats", err)
	}
	return digitbot.NewStats(scope, evals), nil
}

// exportChunk is how many rows ExportCSV reads per read transaction, so a
// slow reader (an upload to Discord) never holds a transaction open: long
// read transactions block the file from growing.
const exportChunk = 1000

// ExportCSV writes every evaluation of a scope, oldest first, as CSV with a
// header row. Text cells that a spreadsheet would run as a formula are
// prefixed with a quote.
func (db *DB) ExportCSV(ctx context.Context, scope digitbot.Scope, w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(digitbot.CSVHeader()); err != nil {
		return err
	}
	after := []byte{prefixPoint}
	first := true
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var rows []digitbot.Evaluation
		err := db.bolt.View(func(tx *bolt.Tx) error {
			rows = rows[:0]
			b := tx.Bucket(bucketScopes).Bucket(scopeKey(scope))
			if b == nil {
				return nil
			}
			c := b.Cursor()
			k, _ := c.Seek(after)
			if !first && k != nil && bytes.Equal(k, after) {
				k, _ = c.Next()
			}
			for ; k != nil && k[0] == prefixPoint && len(rows) < exportChunk; k, _ = c.Next() {
				e, err := lookupEvaluation(tx, k)
				if err != nil {
					return err
				}
				if inServer(scope, e) {
					rows = append(rows, e)
				}
				after = append(after[:0], k...)
			}
			return nil
		})
		if err != nil {
			return storeError("export", err)
		}
		first = false
		if err := digitbot.WriteCSV(cw, rows); err != nil {
			return err
		}
		if len(rows) < exportChunk {
			return nil
		}
	}
}

// GuildConfig returns a server's configuration: a zero config with GuildID
// set if it was never set (the bot then applies its config file defaults).
func (db *DB) GuildConfig(ctx context.Context, guildID string) (digitbot.GuildConfig, error) {
	if err := ctx.Err(); err != nil {
		return digitbot.GuildConfig{}, err
	}
	if guildID == "" {
		return digitbot.GuildConfig{}, invalid("A server id is required.")
	}
	cfg := digitbot.GuildConfig{GuildID: guildID}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketGuilds).Get([]byte(guildID)); v != nil {
			return jsonUnmarshal(v, &cfg)
		}
		return nil
	})
	if err != nil {
		return digitbot.GuildConfig{}, storeError("guild config", err)
	}
	return cfg, nil
}

// MaxWatchedChannels bounds a server's watched channel list.
const MaxWatchedChannels = digitbot.MaxWatchedChannels

// SetGuildConfig validates (GuildConfig.Validate) and stores a server's
// configuration. Duplicate channels are dropped. UpdatedAt is set to now
// when zero.
func (db *DB) SetGuildConfig(ctx context.Context, cfg digitbot.GuildConfig) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	seen := map[string]bool{}
	var channels []string
	for _, ch := range cfg.WatchedChannels {
		if !seen[ch] {
			seen[ch] = true
			channels = append(channels, ch)
		}
	}
	cfg.WatchedChannels = channels
	if cfg.UpdatedAt.IsZero() {
		cfg.UpdatedAt = db.now()
	}
	cfg.UpdatedAt = cfg.UpdatedAt.UTC()
	v, err := jsonMarshal(cfg)
	if err != nil {
		return err
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketGuilds).Put([]byte(cfg.GuildID), v)
	})
	return storeError("set guild config", err)
}
