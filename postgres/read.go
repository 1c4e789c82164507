package postgres

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/jackc/pgx/v5"
)

// Prediction returns a stored prediction: evaluated ones until they are
// forgotten, pending ones until PendingTTL (ENOTFOUND after that, even
// before Sweep has removed them).
func (db *DB) Prediction(ctx context.Context, id string) (digitbot.Prediction, error) {
	if err := ctx.Err(); err != nil {
		return digitbot.Prediction{}, err
	}
	var (
		p         digitbot.Prediction
		evaluated bool
	)
	err := db.inTx(ctx, readTx, func(tx pgx.Tx) error {
		var (
			digit       int16
			conf        int32
			probs       []int16
			input       []byte
			evaluatedAt *time.Time
		)
		err := tx.QueryRow(ctx, `SELECT id, guild_id, channel_id, message_id, user_id, attachment_id, file_name, number,
				digit, confidence, probabilities, input, model_sha256, created_at, evaluated_at
			FROM predictions WHERE id = $1`, id).Scan(&p.ID, &p.GuildID, &p.ChannelID, &p.MessageID, &p.UserID,
			&p.AttachmentID, &p.FileName, &p.Number, &digit, &conf, &probs, &input, &p.ModelSHA256, &p.CreatedAt, &evaluatedAt)
		if err != nil {
			return err
		}
		p.Digit, p.Confidence, p.CreatedAt, evaluated = int(digit), dequantise(conf), p.CreatedAt.UTC(), evaluatedAt != nil
		setProbabilities(&p.Probabilities, probs)
		copy(p.Input[:], input)
		rows, err := tx.Query(ctx, `SELECT digit, confidence, probabilities, box, input FROM prediction_digits
			WHERE prediction_id = $1 ORDER BY position`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				d   digitbot.DigitReading
				box []int32
			)
			if err := rows.Scan(&digit, &conf, &probs, &box, &input); err != nil {
				return err
			}
			d.Digit, d.Confidence = int(digit), dequantise(conf)
			setProbabilities(&d.Probabilities, probs)
			for i := range min(len(box), len(d.Box)) {
				d.Box[i] = int(box[i])
			}
			copy(d.Input[:], input)
			p.Digits = append(p.Digits, d)
		}
		return rows.Err()
	})
	if errors.Is(err, pgx.ErrNoRows) || err == nil && !evaluated && db.expired(p.CreatedAt, db.now()) {
		return digitbot.Prediction{}, notFound(id)
	}
	if err != nil {
		return digitbot.Prediction{}, storeError("prediction", err)
	}
	return p, nil
}

func setProbabilities(dst *[10]float64, q []int16) {
	for i := range min(len(q), len(dst)) {
		dst[i] = dequantise(int32(q[i]))
	}
}

// Evaluation returns the evaluation of a prediction, ENOTFOUND if none.
func (db *DB) Evaluation(ctx context.Context, predictionID string) (digitbot.Evaluation, error) {
	if err := ctx.Err(); err != nil {
		return digitbot.Evaluation{}, err
	}
	var r evaluationRow
	err := r.scan(db.pool.QueryRow(ctx, `SELECT `+evaluationColumns+` FROM predictions WHERE id = $1 AND evaluated_at IS NOT NULL`, predictionID))
	if errors.Is(err, pgx.ErrNoRows) {
		return digitbot.Evaluation{}, digitbot.Errorf(digitbot.ENOTFOUND, "Prediction %q has not been evaluated.", predictionID)
	}
	if err != nil {
		return digitbot.Evaluation{}, storeError("evaluation", err)
	}
	return r.evaluation(), nil
}

// scopeWhere is the condition on predictions that selects a scope's
// evaluated rows, with its arguments from $1.
func scopeWhere(s digitbot.Scope) (string, []any) {
	switch {
	case s.GuildID != "" && s.UserID != "":
		return `user_id = $1 AND guild_id = $2 AND evaluated_at IS NOT NULL`, []any{s.UserID, s.GuildID}
	case s.GuildID != "":
		return `guild_id = $1 AND evaluated_at IS NOT NULL`, []any{s.GuildID}
	case s.UserID != "":
		return `user_id = $1 AND evaluated_at IS NOT NULL`, []any{s.UserID}
	}
	return `evaluated_at IS NOT NULL`, nil
}

func collectEvaluations(rows pgx.Rows, err error) ([]digitbot.Evaluation, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []digitbot.Evaluation
	for rows.Next() {
		var r evaluationRow
		if err := r.scan(rows); err != nil {
			return nil, err
		}
		out = append(out, r.evaluation())
	}
	return out, rows.Err()
}

// History returns the newest evaluations of a scope, newest first (ties
// by id), at most limit of them (all when limit <= 0).
func (db *DB) History(ctx context.Context, scope digitbot.Scope, limit int) ([]digitbot.Evaluation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	where, args := scopeWhere(scope)
	q := `SELECT ` + evaluationColumns + ` FROM predictions WHERE ` + where + ` ORDER BY evaluated_at DESC, id DESC`
	if limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(limit)
	}
	out, err := collectEvaluations(db.pool.Query(ctx, q, args...))
	return out, storeError("history", err)
}

// Stats returns a scope's statistics from its aggregates (a row per day
// and pair of true and predicted digit, a row per number length) and the
// newest StatsRecentPoints digit verdicts, whatever the number of
// evaluations; all read from one snapshot. A user in one server is
// computed from the user's evaluations there.
func (db *DB) Stats(ctx context.Context, scope digitbot.Scope) (digitbot.Stats, error) {
	if err := ctx.Err(); err != nil {
		return digitbot.Stats{}, err
	}
	if memberScope(scope) {
		where, args := scopeWhere(scope)
		evals, err := collectEvaluations(db.pool.Query(ctx, `SELECT `+evaluationColumns+` FROM predictions WHERE `+where, args...))
		if err != nil {
			return digitbot.Stats{}, storeError("stats", err)
		}
		return digitbot.NewStats(scope, evals), nil
	}
	var s digitbot.Stats
	err := db.inTx(ctx, readTx, func(tx pgx.Tx) error {
		s = digitbot.Stats{Scope: scope}
		key := scopeKey(scope)
		var (
			tru, pred         int16
			count, hits, conf int64
			confSum           int64
		)
		rows, err := tx.Query(ctx, `SELECT true_digit, predicted, sum(count)::bigint, sum(confidence_sum)::bigint FROM digit_stats
			WHERE scope = $1 GROUP BY true_digit, predicted`, key)
		if err != nil {
			return err
		}
		_, err = pgx.ForEachRow(rows, []any{&tru, &pred, &count, &conf}, func() error {
			if tru < 0 || tru > 9 || pred < 0 || pred > 9 {
				return errors.New("digit_stats holds a digit out of range")
			}
			n := int(count)
			confSum += conf
			s.Total += n
			s.Digits[tru].Count += n
			s.Confusion[tru][pred] += n
			if tru == pred {
				s.Hits += n
				s.Digits[tru].Hits += n
			}
			return nil
		})
		if err != nil {
			return err
		}
		s.ConfidenceSum = float64(confSum) / probScale

		var day int32
		rows, err = tx.Query(ctx, `SELECT day, sum(count)::bigint, sum(hits)::bigint, sum(confidence_sum)::bigint FROM daily_stats
			WHERE scope = $1 GROUP BY day ORDER BY day`, key)
		if err != nil {
			return err
		}
		_, err = pgx.ForEachRow(rows, []any{&day, &count, &hits, &conf}, func() error {
			if count > 0 {
				s.Daily = append(s.Daily, digitbot.Day{Date: time.Unix(int64(day)*86400, 0).UTC(),
					Count: int(count), Hits: int(hits), ConfidenceSum: float64(conf) / probScale})
			}
			return nil
		})
		if err != nil {
			return err
		}

		var length int16
		var segErrors int64
		rows, err = tx.Query(ctx, `SELECT length, sum(count)::bigint, sum(hits)::bigint, sum(segmentation_errors)::bigint FROM number_stats
			WHERE scope = $1 GROUP BY length`, key)
		if err != nil {
			return err
		}
		_, err = pgx.ForEachRow(rows, []any{&length, &count, &hits, &segErrors}, func() error {
			if length < 1 || length > digitbot.MaxNumberDigits {
				return errors.New("number_stats holds a length out of range")
			}
			n := &s.Numbers
			n.Count += int(count)
			n.Hits += int(hits)
			n.SegmentationErrors += int(segErrors)
			n.ByLength[length] = digitbot.DigitStats{Count: int(count), Hits: int(hits)}
			return nil
		})
		if err != nil {
			return err
		}

		// The newest points: every row has at least one, so
		// StatsRecentPoints rows are enough. Newest first, each row's
		// verdicts reversed with the rest, so that a number cut at the
		// limit keeps its last positions (as digitbot.NewStats does).
		where, args := scopeWhere(scope)
		rows, err = tx.Query(ctx, `SELECT evaluated_at, points FROM predictions WHERE `+where+
			` AND cardinality(points) > 0 ORDER BY evaluated_at DESC, id DESC LIMIT `+strconv.Itoa(digitbot.StatsRecentPoints), args...)
		if err != nil {
			return err
		}
		var (
			at  time.Time
			pts []int32
		)
		for rows.Next() && len(s.Recent) < digitbot.StatsRecentPoints {
			if err := rows.Scan(&at, &pts); err != nil {
				rows.Close()
				return err
			}
			for i := len(pts) - 1; i >= 0 && len(s.Recent) < digitbot.StatsRecentPoints; i-- {
				s.Recent = append(s.Recent, digitbot.Point{Time: at.UTC(), Confidence: dequantise(pts[i] &^ pointCorrect), Correct: pts[i]&pointCorrect != 0})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(s.Recent) == 0 {
			return nil
		}
		for i, j := 0, len(s.Recent)-1; i < j; i, j = i+1, j-1 {
			s.Recent[i], s.Recent[j] = s.Recent[j], s.Recent[i]
		}
		s.LastAt = s.Recent[len(s.Recent)-1].Time
		if err := tx.QueryRow(ctx, `SELECT evaluated_at FROM predictions WHERE `+where+
			` AND cardinality(points) > 0 ORDER BY evaluated_at, id LIMIT 1`, args...).Scan(&at); err != nil {
			return err
		}
		s.FirstAt = at.UTC()
		return nil
	})
	if err != nil {
		return digitbot.Stats{}, storeError("stats", err)
	}
	return s, nil
}

// exportChunk is how many rows ExportCSV reads per query, so that a slow
// reader (an upload to Discord) never holds a transaction open.
const exportChunk = 1000

// ExportCSV writes every evaluation of a scope, oldest first, as CSV with a
// header row, in the bbolt store's format. Text cells that a spreadsheet
// would run as a formula are prefixed with a quote.
func (db *DB) ExportCSV(ctx context.Context, scope digitbot.Scope, w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(digitbot.CSVHeader()); err != nil {
		return err
	}
	where, args := scopeWhere(scope)
	n := len(args)
	q := `SELECT ` + evaluationColumns + ` FROM predictions WHERE ` + where +
		` AND (evaluated_at, id) > ($` + strconv.Itoa(n+1) + `, $` + strconv.Itoa(n+2) + `)` +
		` ORDER BY evaluated_at, id LIMIT ` + strconv.Itoa(exportChunk)
	afterAt, afterID := time.Time{}.Add(-1<<62), ""
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rows, err := collectEvaluations(db.pool.Query(ctx, q, append(args, afterAt, afterID)...))
		if err != nil {
			return storeError("export", err)
		}
		if err := digitbot.WriteCSV(cw, rows); err != nil {
			return err
		}
		if len(rows) < exportChunk {
			return nil
		}
		last := rows[len(rows)-1]
		afterAt, afterID = last.EvaluatedAt, last.PredictionID
	}
}

// GuildConfig returns a server's configuration: a zero config with GuildID
// set if it was never set.
func (db *DB) GuildConfig(ctx context.Context, guildID string) (digitbot.GuildConfig, error) {
	if err := ctx.Err(); err != nil {
		return digitbot.GuildConfig{}, err
	}
	if guildID == "" {
		return digitbot.GuildConfig{}, invalid("A server id is required.")
	}
	cfg := digitbot.GuildConfig{GuildID: guildID}
	var updatedAt *time.Time
	err := db.pool.QueryRow(ctx, `SELECT watched_channels, threshold, learning, updated_at, updated_by FROM guild_configs WHERE guild_id = $1`, guildID).
		Scan(&cfg.WatchedChannels, &cfg.Threshold, &cfg.Learning, &updatedAt, &cfg.UpdatedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return cfg, nil
	}
	if err != nil {
		return digitbot.GuildConfig{}, storeError("guild config", err)
	}
	if len(cfg.WatchedChannels) == 0 {
		cfg.WatchedChannels = nil
	}
	if updatedAt != nil {
		cfg.UpdatedAt = updatedAt.UTC()
	}
	return cfg, nil
}

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
	channels := []string{}
	for _, ch := range cfg.WatchedChannels {
		if !seen[ch] {
			seen[ch] = true
			channels = append(channels, ch)
		}
	}
	if cfg.UpdatedAt.IsZero() {
		cfg.UpdatedAt = db.now()
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO guild_configs (guild_id, watched_channels, threshold, learning, updated_at, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (guild_id) DO UPDATE SET watched_channels = excluded.watched_channels, threshold = excluded.threshold,
			learning = excluded.learning, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		cfg.GuildID, channels, cfg.Threshold, cfg.Learning, dbTime(cfg.UpdatedAt), cfg.UpdatedBy)
	return storeError("set guild config", err)
}
