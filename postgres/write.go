package postgres

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"strings"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/jackc/pgx/v5"
)

// idAlphabet is Crockford's base32 in lower case: no i, l, o, u.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// IDLength is the length of the ids SavePrediction assigns: 10 characters
// of milliseconds since 1970, so that ids sort by creation time (appends
// to the primary key's B-tree), then 6 random characters; a collision is
// detected by the primary key and redrawn.
const IDLength = 16

func newID(t time.Time) string {
	var b [IDLength]byte
	ms := uint64(t.UnixMilli())
	for i := 9; i >= 0; i-- {
		b[i] = idAlphabet[ms&31]
		ms >>= 5
	}
	var r [4]byte
	rand.Read(r[:])
	n := binary.BigEndian.Uint32(r[:])
	for i := 10; i < IDLength; i++ {
		b[i] = idAlphabet[n&31]
		n >>= 5
	}
	return string(b[:])
}

func invalid(format string, args ...any) error {
	return digitbot.Errorf(digitbot.EINVALID, format, args...)
}

func quantiseAll(probs *[10]float64) []int16 {
	out := make([]int16, len(probs))
	for i, f := range probs {
		out[i] = int16(quantise(f))
	}
	return out
}

// inputBytes is how a 28x28 input is stored: its 784 bytes, or NULL for
// an all-background picture.
func inputBytes(px *[digitbot.InputSide * digitbot.InputSide]uint8) []byte {
	if *px == ([digitbot.InputSide * digitbot.InputSide]uint8{}) {
		return nil
	}
	return slices.Clone(px[:])
}

// SavePrediction stores a pending prediction and assigns p.ID (if empty)
// and p.CreatedAt (if zero). A caller-chosen ID that exists is ECONFLICT.
//
// Probabilities and confidences are kept to four decimals and times to
// the microsecond: Prediction returns them so, and p.CreatedAt is set to
// the time as stored.
func (db *DB) SavePrediction(ctx context.Context, p *digitbot.Prediction) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	created := p.CreatedAt
	if created.IsZero() {
		created = db.now()
	}
	created = dbTime(created)
	confs := make([]int32, len(p.Digits))
	for i, d := range p.Digits {
		confs[i] = quantise(d.Confidence)
	}
	id := p.ID
	err := db.inTx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		for attempt := 0; ; attempt++ {
			if p.ID == "" {
				id = newID(created)
			}
			tag, err := tx.Exec(ctx, `INSERT INTO predictions
				(id, guild_id, channel_id, message_id, user_id, attachment_id, file_name, number,
				 digit, confidence, probabilities, input, digit_confidences, digit_count, model_sha256, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
				ON CONFLICT (id) DO NOTHING`,
				id, p.GuildID, p.ChannelID, p.MessageID, p.UserID, p.AttachmentID, p.FileName, p.Number,
				p.Digit, quantise(p.Confidence), quantiseAll(&p.Probabilities), inputBytes(&p.Input),
				confs, len(p.Digits), p.ModelSHA256, created)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				break
			}
			if p.ID != "" {
				return digitbot.Errorf(digitbot.ECONFLICT, "A prediction with id %s already exists.", p.ID)
			}
			if attempt > 10 {
				return errors.New("could not draw a free prediction id")
			}
		}
		if len(p.Digits) == 0 {
			return nil
		}
		// One round trip for all the digit readings (a batch, not COPY,
		// which not every PostgreSQL-compatible engine takes in binary).
		batch := &pgx.Batch{}
		for i := range p.Digits {
			d := &p.Digits[i]
			batch.Queue(`INSERT INTO prediction_digits (prediction_id, position, digit, confidence, probabilities, box, input)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				id, i, d.Digit, quantise(d.Confidence), quantiseAll(&d.Probabilities), d.Box[:], inputBytes(&d.Input))
		}
		err := tx.SendBatch(ctx, batch).Close()
		return err
	})
	if err != nil {
		return storeError("save prediction", err)
	}
	p.ID, p.CreatedAt = id, created
	return nil
}

// Evaluate records the owner's verdict on a one-digit prediction, at most
// once; see EvaluateNumber for the rules.
func (db *DB) Evaluate(ctx context.Context, predictionID, userID string, trueDigit int) (digitbot.Evaluation, error) {
	if err := digitbot.CheckTrueDigit(trueDigit); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return digitbot.Evaluation{}, cerr
		}
		return digitbot.Evaluation{}, err
	}
	return db.record(ctx, predictionID, userID, verdict{digit: trueDigit})
}

// EvaluateNumber records the owner's verdict on a reading: the number the
// picture showed, 1..MaxNumberDigits digits. Only the owner may evaluate
// (EFORBIDDEN); the first verdict wins and later calls get it back with
// EALREADYEVALUATED, also when they race from other processes (the
// prediction's row is locked, and the verdict written only where none
// is). Refusals write nothing. On a one-digit reading a one-digit number
// is Evaluate's verdict and a longer one EINVALID; on a number any length
// is accepted (another length is a segmentation error).
func (db *DB) EvaluateNumber(ctx context.Context, predictionID, userID, trueNumber string) (digitbot.Evaluation, error) {
	if err := digitbot.CheckTrueNumber(trueNumber); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return digitbot.Evaluation{}, cerr
		}
		return digitbot.Evaluation{}, err
	}
	return db.record(ctx, predictionID, userID, verdict{digit: -1, number: trueNumber})
}

// verdict is what a member said a picture showed.
type verdict struct {
	digit  int    // from Evaluate; -1 from EvaluateNumber
	number string // from EvaluateNumber, valid
}

// evaluationColumns are what evaluationRow scans, in its order.
const evaluationColumns = `id, guild_id, channel_id, user_id, file_name, digit, confidence, number,
	digit_confidences, digit_count, created_at, evaluated_at, true_digit, true_number`

// evaluationRow is a predictions row read as an evaluation; Evaluated is
// false while the prediction is pending.
type evaluationRow struct {
	ID, GuildID, ChannelID, UserID, FileName, Number string
	Digit, DigitCount                                int16
	Confidence                                       int32
	DigitConfidences                                 []int32
	CreatedAt                                        time.Time
	EvaluatedAt                                      *time.Time
	TrueDigit                                        *int16
	TrueNumber                                       *string
}

func (r *evaluationRow) scan(row pgx.Row) error {
	return row.Scan(&r.ID, &r.GuildID, &r.ChannelID, &r.UserID, &r.FileName, &r.Digit, &r.Confidence, &r.Number,
		&r.DigitConfidences, &r.DigitCount, &r.CreatedAt, &r.EvaluatedAt, &r.TrueDigit, &r.TrueNumber)
}

func (r *evaluationRow) isNumber() bool { return r.DigitCount > 1 }

// evaluation is the row as an Evaluation (meaningful once evaluated).
func (r *evaluationRow) evaluation() digitbot.Evaluation {
	e := digitbot.Evaluation{
		PredictionID: r.ID, GuildID: r.GuildID, ChannelID: r.ChannelID, UserID: r.UserID, FileName: r.FileName,
		Predicted: int(r.Digit), Confidence: dequantise(r.Confidence), TrueDigit: -1,
		PredictedAt: r.CreatedAt.UTC(),
	}
	if r.EvaluatedAt != nil {
		e.EvaluatedAt = r.EvaluatedAt.UTC()
	}
	if r.TrueDigit != nil {
		e.TrueDigit = int(*r.TrueDigit)
	}
	if r.isNumber() {
		e.Predicted, e.TrueDigit = -1, -1
		conf := make([]float64, len(r.DigitConfidences))
		for i, c := range r.DigitConfidences {
			conf[i] = dequantise(c)
		}
		e.Number = &digitbot.NumberVerdict{Predicted: r.Number, True: "", Confidences: conf}
		if r.TrueNumber != nil {
			e.Number.True = *r.TrueNumber
		}
	}
	return e
}

// points encodes what Stats.Recent needs of an evaluation: per digit
// verdict its confidence, plus pointCorrect when right.
func points(e digitbot.Evaluation) []int32 {
	vs := e.DigitVerdicts()
	out := make([]int32, 0, len(vs))
	for _, v := range vs {
		q := quantise(v.Confidence)
		if v.Predicted == v.True {
			q |= pointCorrect
		}
		out = append(out, q)
	}
	return out
}

func notFound(id string) error {
	return digitbot.Errorf(digitbot.ENOTFOUND, "There is no prediction %q (it may have expired or been deleted).", id)
}

func (db *DB) expired(created, now time.Time) bool { return created.Before(now.Add(-db.ttl)) }

func (db *DB) record(ctx context.Context, predictionID, userID string, vd verdict) (digitbot.Evaluation, error) {
	if err := ctx.Err(); err != nil {
		return digitbot.Evaluation{}, err
	}
	now := dbTime(db.now())
	var (
		result  digitbot.Evaluation
		refusal error
	)
	err := db.inTx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		result, refusal = digitbot.Evaluation{}, nil
		var r evaluationRow
		// The row lock orders racing evaluations of one prediction: the
		// second waits for the first to commit, then reads its verdict.
		err := r.scan(tx.QueryRow(ctx, `SELECT `+evaluationColumns+` FROM predictions WHERE id = $1 FOR UPDATE`, predictionID))
		if errors.Is(err, pgx.ErrNoRows) {
			refusal = notFound(predictionID)
			return nil
		} else if err != nil {
			return err
		}
		if r.UserID != userID {
			what := "digit"
			if r.isNumber() {
				what = "number"
			}
			refusal = digitbot.Errorf(digitbot.EFORBIDDEN, "Only the person who posted the image can say which %s it was.", what)
			return nil
		}
		if r.EvaluatedAt != nil {
			result, refusal = r.evaluation(), digitbot.Errorf(digitbot.EALREADYEVALUATED, "This prediction was already evaluated.")
			return nil
		}
		if db.expired(r.CreatedAt, now) {
			refusal = digitbot.Errorf(digitbot.ENOTFOUND, "This prediction has expired.")
			return nil
		}
		var trueDigit *int16
		var trueNumber *string
		switch {
		case r.isNumber() && vd.number == "":
			refusal = invalid("This picture was read as the number %s, not as one digit: say which number it shows.", r.Number)
			return nil
		case r.isNumber():
			trueNumber = &vd.number
		case vd.number == "":
			d := int16(vd.digit)
			trueDigit = &d
		case len(vd.number) == 1:
			d := int16(vd.number[0] - '0')
			trueDigit = &d
		default:
			refusal = invalid("This picture was read as one digit (%d), so the true value must be one digit too, not %s.", r.Digit, vd.number)
			return nil
		}
		r.EvaluatedAt, r.TrueDigit, r.TrueNumber = &now, trueDigit, trueNumber
		e := r.evaluation()
		batch := &pgx.Batch{}
		batch.Queue(`UPDATE predictions SET evaluated_at = $2, true_digit = $3, true_number = $4, points = $5
			WHERE id = $1 AND evaluated_at IS NULL`, predictionID, now, trueDigit, trueNumber, points(e))
		if err := queueStats(batch, []digitbot.Evaluation{e}, 1); err != nil {
			return err
		}
		results := tx.SendBatch(ctx, batch)
		tag, err := results.Exec()
		if err == nil && tag.RowsAffected() != 1 {
			err = fmt.Errorf("prediction %s changed under its row lock", predictionID)
		}
		if cerr := results.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		result = e
		return nil
	})
	if err != nil {
		return digitbot.Evaluation{}, storeError("evaluate", err)
	}
	return result, refusal
}

// statSlots is how many rows each scope's figures are spread over.
const statSlots = 8

// statSlot is the slot an evaluation counts in: a hash of its id, so
// that removing it subtracts from the rows adding it added to.
func statSlot(predictionID string) int16 {
	h := crc32.ChecksumIEEE([]byte(predictionID))
	return int16(h % statSlots)
}

// statRows accumulates signed changes to one aggregate table, keyed by its
// primary key, then writes them in key order.
type statRows struct {
	table   string
	key     []string // primary key columns, in order
	keyType []string // their SQL array types
	vals    []string // counted columns
	rows    map[string]*statRow
}

type statRow struct {
	key  []any
	sort string
	vals []int64
}

func (t *statRows) add(key []any, vals ...int64) {
	sortKey := fmt.Sprint(key...)
	if t.rows == nil {
		t.rows = map[string]*statRow{}
	}
	r := t.rows[sortKey]
	if r == nil {
		r = &statRow{key: key, sort: sortKey, vals: make([]int64, len(t.vals))}
		t.rows[sortKey] = r
	}
	for i, v := range vals {
		r.vals[i] += v
	}
}

// queue adds the statements that write the changes to batch: one upsert
// (rows locked in key order, so that concurrent writers wait for each
// other rather than deadlock) and, when removing, a delete of the rows
// left at zero.
func (t *statRows) queue(batch *pgx.Batch, removing bool) {
	if len(t.rows) == 0 {
		return
	}
	rows := make([]*statRow, 0, len(t.rows))
	for _, r := range t.rows {
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b *statRow) int { return strings.Compare(a.sort, b.sort) })
	args := make([]any, 0, len(t.key)+len(t.vals))
	for c := range t.key {
		col := make([]any, len(rows))
		for i, r := range rows {
			col[i] = r.key[c]
		}
		args = append(args, col)
	}
	for c := range t.vals {
		col := make([]int64, len(rows))
		for i, r := range rows {
			col[i] = r.vals[c]
		}
		args = append(args, col)
	}
	var casts, sets, keyEq []string
	for i, typ := range t.keyType {
		casts = append(casts, fmt.Sprintf("$%d::%s[]", i+1, typ))
		keyEq = append(keyEq, fmt.Sprintf("s.%s = k.%s", t.key[i], t.key[i]))
	}
	for i, v := range t.vals {
		casts = append(casts, fmt.Sprintf("$%d::bigint[]", len(t.key)+i+1))
		sets = append(sets, fmt.Sprintf("%s = s.%s + excluded.%s", v, v, v))
	}
	cols := strings.Join(append(slices.Clone(t.key), t.vals...), ", ")
	batch.Queue(`INSERT INTO `+t.table+` AS s (`+cols+`)
		SELECT * FROM unnest(`+strings.Join(casts, ", ")+`)
		ON CONFLICT (`+strings.Join(t.key, ", ")+`) DO UPDATE SET `+strings.Join(sets, ", "), args...)
	if removing {
		batch.Queue(`DELETE FROM `+t.table+` s USING unnest(`+strings.Join(casts[:len(t.key)], ", ")+`) AS k(`+strings.Join(t.key, ", ")+`)
		WHERE `+strings.Join(keyEq, " AND ")+` AND s.count = 0`, args[:len(t.key)]...)
	}
}

// queueStats adds to batch the statements that add (sign 1) or subtract
// (sign -1) evaluations from the aggregates of every scope they count in.
// Rows left at zero are deleted, so no aggregate keyed by a forgotten user
// or server survives. Sent in one batch with the write they go with, they
// cost one round trip.
func queueStats(batch *pgx.Batch, evals []digitbot.Evaluation, sign int64) error {
	digits := statRows{table: "digit_stats", key: []string{"scope", "slot", "true_digit", "predicted"},
		keyType: []string{"text", "smallint", "smallint", "smallint"}, vals: []string{"count", "confidence_sum"}}
	days := statRows{table: "daily_stats", key: []string{"scope", "day", "slot"},
		keyType: []string{"text", "integer", "smallint"}, vals: []string{"count", "hits", "confidence_sum"}}
	numbers := statRows{table: "number_stats", key: []string{"scope", "length", "slot"},
		keyType: []string{"text", "smallint", "smallint"}, vals: []string{"count", "hits", "segmentation_errors"}}
	b2i := func(b bool) int64 {
		if b {
			return 1
		}
		return 0
	}
	for _, e := range evals {
		if e.Number == nil && (e.TrueDigit < 0 || e.TrueDigit > 9 || e.Predicted < 0 || e.Predicted > 9) {
			return fmt.Errorf("evaluation %s has digits out of range", e.PredictionID)
		}
		slot, day := statSlot(e.PredictionID), dayNumber(e.EvaluatedAt)
		for _, scope := range scopesOf(e) {
			for _, v := range e.DigitVerdicts() {
				conf, hit := int64(quantise(v.Confidence)), b2i(v.Predicted == v.True)
				digits.add([]any{scope, slot, int16(v.True), int16(v.Predicted)}, sign, sign*conf)
				days.add([]any{scope, day, slot}, sign, sign*hit, sign*conf)
			}
			if e.Number != nil {
				numbers.add([]any{scope, int16(len(e.Number.True)), slot}, sign, sign*b2i(e.Correct()), sign*b2i(e.SegmentationError()))
			}
		}
	}
	for _, t := range []*statRows{&digits, &days, &numbers} {
		t.queue(batch, sign < 0)
	}
	return nil
}

// Sweep deletes unevaluated predictions older than PendingTTL. An
// evaluation racing with it holds the row's lock: the sweep then sees the
// row evaluated and keeps it.
func (db *DB) Sweep(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	tag, err := db.pool.Exec(ctx, `DELETE FROM predictions WHERE evaluated_at IS NULL AND created_at < $1`, db.now().Add(-db.ttl))
	if err != nil {
		return 0, storeError("sweep", err)
	}
	return int(tag.RowsAffected()), nil
}

// RunJanitor sweeps expired predictions every interval until ctx is done.
// With several processes on one database each sweeps; the deletes are
// idempotent.
func (db *DB) RunJanitor(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := db.Sweep(ctx)
			if err != nil && ctx.Err() == nil {
				db.log.Error("sweeping expired predictions", "err", err)
			} else if n > 0 {
				db.log.Info("swept expired predictions", "removed", n)
			}
		}
	}
}

// ForgetUser deletes every prediction and evaluation of a user in every
// server and DM (whichever shard or process recorded them), their share of
// the server-wide and global aggregates, their own aggregates, and their
// id from server configs they last changed: one transaction, so it is all
// or nothing. Deleted rows stay in the table files until VACUUM reuses
// their space; backups (pg_dump) taken before keep them.
func (db *DB) ForgetUser(ctx context.Context, userID string) error {
	if userID == "" {
		return invalid("A user id is required.")
	}
	return db.removeWhere(ctx, "forget user", "user_id", userID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE guild_configs SET updated_by = '' WHERE updated_by = $1`, userID)
		return err
	})
}

// PurgeGuild deletes everything stored about a server: its predictions and
// evaluations (and their share of each user's and the global statistics),
// its aggregates and its config, in one transaction.
func (db *DB) PurgeGuild(ctx context.Context, guildID string) error {
	if guildID == "" {
		return invalid("A server id is required.")
	}
	return db.removeWhere(ctx, "purge guild", "guild_id", guildID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM guild_configs WHERE guild_id = $1`, guildID)
		return err
	})
}

// removeWhere deletes the predictions whose column equals id, after
// subtracting their evaluations from the aggregates. The rows are locked
// first (in id order, as any other deleter does), so an evaluation racing
// with it either commits before (and is subtracted) or finds no row.
func (db *DB) removeWhere(ctx context.Context, op, column, id string, more func(pgx.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.inTx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+evaluationColumns+` FROM predictions WHERE `+column+` = $1 ORDER BY id FOR UPDATE`, id)
		if err != nil {
			return err
		}
		var (
			evals []digitbot.Evaluation
			ids   []string
		)
		for rows.Next() {
			var r evaluationRow
			if err := r.scan(rows); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, r.ID)
			if r.EvaluatedAt != nil {
				evals = append(evals, r.evaluation())
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		batch := &pgx.Batch{}
		if err := queueStats(batch, evals, -1); err != nil {
			return err
		}
		// Exactly the rows locked and subtracted above: a prediction
		// committed since (another process still writing for this user or
		// server) is not among them, and keeps its own aggregates.
		batch.Queue(`DELETE FROM predictions WHERE id = ANY($1)`, ids)
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return err
		}
		return more(tx)
	})
	return storeError(op, err)
}

// StoredGuilds returns the ids of the servers the database holds anything
// about (predictions, statistics or a configuration), sorted. The
// predictions are read by skipping through the guild index, one probe per
// server, not row by row.
func (db *DB) StoredGuilds(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `WITH RECURSIVE g(id) AS (
			(SELECT guild_id FROM predictions WHERE guild_id > '' ORDER BY guild_id LIMIT 1)
			UNION ALL
			SELECT (SELECT p.guild_id FROM predictions p WHERE p.guild_id > g.id ORDER BY p.guild_id LIMIT 1)
			FROM g WHERE g.id IS NOT NULL)
		SELECT id FROM g WHERE id IS NOT NULL
		UNION SELECT guild_id FROM guild_configs
		ORDER BY 1`)
	if err != nil {
		return nil, storeError("stored guilds", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, storeError("stored guilds", err)
}

// QueueGuildPurges records, durably, that these servers' data must be
// deleted.
func (db *DB) QueueGuildPurges(ctx context.Context, guildIDs ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, id := range guildIDs {
		if id == "" {
			return invalid("A server id is required.")
		}
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO guild_purges (guild_id, queued_at) SELECT unnest($1::text[]), $2
		ON CONFLICT (guild_id) DO NOTHING`, guildIDs, dbTime(db.now()))
	return storeError("queue guild purges", err)
}

// QueuedGuildPurges returns the servers whose purge is still to be done,
// sorted.
func (db *DB) QueuedGuildPurges(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT guild_id FROM guild_purges ORDER BY guild_id`)
	if err != nil {
		return nil, storeError("queued guild purges", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, storeError("queued guild purges", err)
}

// PurgeQueuedGuild deletes a queued server's data (PurgeGuild) and then
// takes it off the queue; on failure it stays queued.
func (db *DB) PurgeQueuedGuild(ctx context.Context, guildID string) error {
	if err := db.PurgeGuild(ctx, guildID); err != nil {
		return err
	}
	return db.UnqueueGuildPurge(ctx, guildID)
}

// UnqueueGuildPurge takes a server off the queue without deleting anything.
func (db *DB) UnqueueGuildPurge(ctx context.Context, guildID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := db.pool.Exec(ctx, `DELETE FROM guild_purges WHERE guild_id = $1`, guildID)
	return storeError("unqueue guild purge", err)
}
