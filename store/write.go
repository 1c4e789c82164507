package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/digitbot/digitbot"
	bolt "go.etcd.io/bbolt"
)

// idAlphabet is Crockford's base32 in lower case: no i, l, o, u.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// IDLength is the length of the ids SavePrediction assigns: 10 characters
// of milliseconds since 1970 (ids sort by creation time, which keeps the
// B+tree appends cheap) and 6 random characters (30 bits, unique within a
// millisecond in practice; a collision is detected and redrawn).
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

// SavePrediction stores a pending prediction and assigns p.ID (if empty)
// and p.CreatedAt (if zero). A caller-chosen ID that exists is ECONFLICT.
//
// Probabilities and confidences are kept to four decimals (see
// probScale): Prediction returns them rounded so.
func (db *DB) SavePrediction(ctx context.Context, p *digitbot.Prediction) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	rec := *p
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = db.now()
	}
	rec.CreatedAt = rec.CreatedAt.UTC()
	var conflict error
	err := db.write(func(tx *bolt.Tx) error {
		// Batch may run this twice: everything it sets is reset here.
		rec.ID = p.ID
		var err error
		conflict, err = savePrediction(tx, &rec)
		return err
	})
	if err != nil {
		return storeError("save prediction", err)
	}
	if conflict != nil {
		return conflict
	}
	p.ID, p.CreatedAt = rec.ID, rec.CreatedAt
	return nil
}

// savePrediction writes rec, drawing its ID if empty. A refusal is returned
// as the first result so that a Batch does not roll back other writers.
func savePrediction(tx *bolt.Tx, rec *digitbot.Prediction) (refusal, err error) {
	preds := tx.Bucket(bucketPredictions)
	if rec.ID == "" {
		for rec.ID = newID(rec.CreatedAt); preds.Get(idKey(rec.ID)) != nil; {
			rec.ID = newID(rec.CreatedAt)
		}
	} else if preds.Get(idKey(rec.ID)) != nil {
		return digitbot.Errorf(digitbot.ECONFLICT, "A prediction with id %s already exists.", rec.ID), nil
	}
	v, err := encodeRecord(tx.Bucket(bucketModels), rec)
	if err != nil {
		return nil, err
	}
	preds.FillPercent = 0.9 // ids grow with time: mostly appends
	if err := preds.Put(idKey(rec.ID), v); err != nil {
		return nil, err
	}
	pending := tx.Bucket(bucketPending)
	pending.FillPercent = 0.9
	if err := pending.Put(pendingKey(rec.CreatedAt, rec.ID), nil); err != nil {
		return nil, err
	}
	return nil, indexPrediction(tx, rec)
}

// write runs fn in a write transaction. A lone writer commits at once
// (db.Update); when other writes are in flight it joins a db.Batch, so
// concurrent evaluations share one fsync. fn may therefore run twice and
// must be idempotent; it returns an error only for failures, never for
// refusals, which would roll back the whole batch.
func (db *DB) write(fn func(*bolt.Tx) error) error {
	defer db.writers.Add(-1)
	if db.writers.Add(1) == 1 {
		return db.bolt.Update(fn)
	}
	return db.bolt.Batch(fn)
}

// indexPrediction lists the prediction in its user's and server's scopes,
// which is how ForgetUser and PurgeGuild find it, pending or not.
func indexPrediction(tx *bolt.Tx, p *digitbot.Prediction) error {
	owners := []digitbot.Scope{{UserID: p.UserID}}
	if p.GuildID != "" {
		owners = append(owners, digitbot.Scope{GuildID: p.GuildID})
	}
	for _, s := range owners {
		b, err := tx.Bucket(bucketScopes).CreateBucketIfNotExists(scopeKey(s))
		if err != nil {
			return err
		}
		if err := b.Put(predKey(p.ID), nil); err != nil {
			return err
		}
	}
	return nil
}

// Evaluate records the owner's verdict on a one-digit prediction, at most
// once.
//
// Concurrent calls for the same prediction are serialised by bbolt's single
// writer: whichever commits first wins, the others find its record and get
// it back with EALREADYEVALUATED. Refusals write nothing. A number reading
// is refused with EINVALID: its verdict is a number (EvaluateNumber), and a
// digit alone cannot say whether the reading was cut wrongly.
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
// picture showed, 1..MaxNumberDigits digits. The rules are Evaluate's:
// owner only, first verdict wins, refusals write nothing.
//
// On a number reading any length is accepted: a length other than the
// reading's is a segmentation error, counted in Stats.Numbers but in no
// digit's figures. On a one-digit reading a one-digit number is the same
// verdict as Evaluate's; a longer one is refused with EINVALID (a one-digit
// reading has no number verdict to hold it).
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

func (db *DB) record(ctx context.Context, predictionID, userID string, v verdict) (digitbot.Evaluation, error) {
	if err := ctx.Err(); err != nil {
		return digitbot.Evaluation{}, err
	}
	now := db.now().UTC()
	var (
		result  digitbot.Evaluation
		refusal error
	)
	err := db.write(func(tx *bolt.Tx) error {
		// Batch may run this twice: the outcome is recomputed from the tx.
		var err error
		result, refusal, err = db.evaluate(tx, predictionID, userID, v, now)
		return err
	})
	if err != nil {
		return digitbot.Evaluation{}, storeError("evaluate", err)
	}
	return result, refusal
}

// evaluate records a verdict inside a write transaction. Refusals
// (forbidden, already evaluated, not found, wrong kind of verdict) write
// nothing and come back as the second result with a nil error, so that they
// do not roll back a Batch.
func (db *DB) evaluate(tx *bolt.Tx, predictionID, userID string, vd verdict, now time.Time) (digitbot.Evaluation, error, error) {
	preds := tx.Bucket(bucketPredictions)
	models := tx.Bucket(bucketModels)
	id := idKey(predictionID)
	v := preds.Get(id)
	if v == nil {
		return digitbot.Evaluation{}, notFound(predictionID), nil
	}
	rec, err := decodeVerdict(models, id, v)
	if err != nil {
		return digitbot.Evaluation{}, nil, fmt.Errorf("prediction %s: %w", predictionID, err)
	}
	p := &rec.P
	if p.UserID != userID {
		what := "digit"
		if p.IsNumber() {
			what = "number"
		}
		return digitbot.Evaluation{}, digitbot.Errorf(digitbot.EFORBIDDEN, "Only the person who posted the image can say which %s it was.", what), nil
	}
	if rec.Evaluated {
		return rec.evaluation(), digitbot.Errorf(digitbot.EALREADYEVALUATED, "This prediction was already evaluated."), nil
	}
	if db.expired(*p, now) {
		return digitbot.Evaluation{}, digitbot.Errorf(digitbot.ENOTFOUND, "This prediction has expired."), nil
	}
	trueDigit, trueNumber := vd.digit, ""
	switch {
	case p.IsNumber() && vd.number == "":
		return digitbot.Evaluation{}, invalid("This picture was read as the number %s, not as one digit: say which number it shows.", p.Number), nil
	case p.IsNumber():
		trueNumber = vd.number
	case vd.number == "":
	case len(vd.number) == 1:
		trueDigit = int(vd.number[0] - '0')
	default:
		return digitbot.Evaluation{}, invalid("This picture was read as one digit (%d), so the true value must be one digit too, not %s.", p.Digit, vd.number), nil
	}
	nv := appendVerdict(v, p.CreatedAt, now, trueDigit, trueNumber, p.IsNumber())
	// The evaluation returned is the one read back from the new record, so
	// that it equals what Evaluation and History return later.
	if rec, err = decodeVerdict(models, id, nv); err != nil {
		return digitbot.Evaluation{}, nil, fmt.Errorf("prediction %s: %w", predictionID, err)
	}
	preds.FillPercent = 0.9
	if err := preds.Put(id, nv); err != nil {
		return digitbot.Evaluation{}, nil, err
	}
	if err := tx.Bucket(bucketPending).Delete(pendingKey(p.CreatedAt, p.ID)); err != nil {
		return digitbot.Evaluation{}, nil, err
	}
	e := rec.evaluation()
	if err := countEvaluation(tx, e, 1); err != nil {
		return digitbot.Evaluation{}, nil, err
	}
	// Its points now list it in the user's and server's scopes.
	return e, nil, unindexPrediction(tx, p)
}

func notFound(id string) error {
	return digitbot.Errorf(digitbot.ENOTFOUND, "There is no prediction %q (it may have expired or been deleted).", id)
}

func (db *DB) expired(p digitbot.Prediction, now time.Time) bool {
	return p.CreatedAt.Before(now.Add(-db.ttl))
}

// unindexPrediction deletes the pending entries indexPrediction made.
func unindexPrediction(tx *bolt.Tx, p *digitbot.Prediction) error {
	scopes := tx.Bucket(bucketScopes)
	owners := []digitbot.Scope{{UserID: p.UserID}}
	if p.GuildID != "" {
		owners = append(owners, digitbot.Scope{GuildID: p.GuildID})
	}
	for _, s := range owners {
		key := scopeKey(s)
		if b := scopes.Bucket(key); b != nil {
			if err := b.Delete(predKey(p.ID)); err != nil {
				return err
			}
			if err := deleteIfEmpty(scopes, key); err != nil {
				return err
			}
		}
	}
	return nil
}

// countEvaluation adds (sign 1) or removes (sign -1) e from the aggregates
// and points of every scope it counts in (see scopesOf): its digit verdicts in the
// per-digit figures, days and points, a number reading in the number
// counts, and one point per evaluation (empty for a segmentation error),
// which is how History finds it. A scope left empty is deleted, so no
// aggregate keyed by a forgotten user or server survives with zeros.
func countEvaluation(tx *bolt.Tx, e digitbot.Evaluation, sign int64) error {
	if e.Number == nil && (e.TrueDigit < 0 || e.TrueDigit > 9 || e.Predicted < 0 || e.Predicted > 9) {
		return fmt.Errorf("evaluation %s has digits out of range", e.PredictionID)
	}
	var day dayAgg
	for _, v := range e.DigitVerdicts() {
		day.Count++
		day.ConfSum += confFixed(v.Confidence)
		if v.Predicted == v.True {
			day.Hits++
		}
	}
	point := encodePoint(e)
	scopes := tx.Bucket(bucketScopes)
	for _, s := range scopesOf(e.GuildID, e.UserID) {
		key := scopeKey(s)
		b := scopes.Bucket(key)
		if b == nil {
			if sign < 0 {
				continue
			}
			var err error
			if b, err = scopes.CreateBucket(key); err != nil {
				return err
			}
		}
		b.FillPercent = 0.9 // points are appended in time order
		t, err := decodeTotals(b.Get([]byte{prefixTotals}))
		if err != nil {
			return err
		}
		t.add(e, sign)
		if !t.empty() {
			err = b.Put([]byte{prefixTotals}, t.encode())
		} else {
			err = b.Delete([]byte{prefixTotals})
		}
		if err != nil {
			return err
		}
		if day.Count > 0 && keepsDays(s) {
			dk := dayKey(e.EvaluatedAt)
			var d dayAgg
			if dv := b.Get(dk); dv != nil {
				if d, err = decodeDay(dv); err != nil {
					return err
				}
			}
			d.Count += sign * day.Count
			d.Hits += sign * day.Hits
			d.ConfSum += sign * day.ConfSum
			if d.Count > 0 {
				err = b.Put(dk, d.encode())
			} else {
				err = b.Delete(dk)
			}
			if err != nil {
				return err
			}
		}
		pk := pointKey(e.EvaluatedAt, e.PredictionID)
		if sign > 0 {
			err = b.Put(pk, point)
		} else {
			err = b.Delete(pk)
		}
		if err != nil {
			return err
		}
		if err := deleteIfEmpty(scopes, key); err != nil {
			return err
		}
	}
	return nil
}

func deleteIfEmpty(parent *bolt.Bucket, key []byte) error {
	b := parent.Bucket(key)
	if b == nil {
		return nil
	}
	if k, _ := b.Cursor().First(); k != nil {
		return nil
	}
	return parent.DeleteBucket(key)
}

// removePrediction deletes a prediction, its evaluation and every index
// entry and aggregate contribution they made.
func removePrediction(tx *bolt.Tx, id []byte) error {
	preds := tx.Bucket(bucketPredictions)
	v := preds.Get(id)
	if v == nil {
		return nil
	}
	rec, err := decodeVerdict(tx.Bucket(bucketModels), id, v)
	if err != nil {
		return fmt.Errorf("prediction %q: %w", id, err)
	}
	if rec.Evaluated {
		if err := countEvaluation(tx, rec.evaluation(), -1); err != nil {
			return err
		}
	}
	p := &rec.P
	if err := tx.Bucket(bucketPending).Delete(pendingKey(p.CreatedAt, p.ID)); err != nil {
		return err
	}
	if err := unindexPrediction(tx, p); err != nil {
		return err
	}
	return preds.Delete(id)
}

// chunk bounds how many predictions one deleting transaction handles, to
// keep transactions short while the bot keeps writing.
const chunk = 2000

// Sweep deletes unevaluated predictions older than PendingTTL.
func (db *DB) Sweep(ctx context.Context) (removed int, err error) {
	cutoff := timeKey(db.now().Add(-db.ttl))
	for {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		n := 0
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			n = 0
			pending := tx.Bucket(bucketPending)
			var ids, stale [][]byte
			c := pending.Cursor()
			for k, _ := c.First(); k != nil && len(ids)+len(stale) < chunk && string(k[:8]) < string(cutoff); k, _ = c.Next() {
				id := append([]byte(nil), k[8:]...)
				// An entry whose record is gone or evaluated is stale: only
				// the entry goes.
				if v := tx.Bucket(bucketPredictions).Get(id); v == nil || recordEvaluated(v) {
					stale = append(stale, append([]byte(nil), k...))
				} else {
					ids = append(ids, id)
				}
			}
			for _, k := range stale {
				if err := pending.Delete(k); err != nil {
					return err
				}
			}
			for _, id := range ids {
				if err := removePrediction(tx, id); err != nil {
					return err
				}
			}
			n = len(ids) + len(stale)
			removed += len(ids)
			return nil
		})
		if err != nil {
			return removed, storeError("sweep", err)
		}
		if n < chunk {
			return removed, nil
		}
	}
}

// RunJanitor sweeps expired predictions every interval until ctx is done.
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

// ForgetUser deletes every prediction and evaluation of a user, their
// contributions to server-wide and global aggregates, their stats scopes,
// and their id from server configs they last changed.
//
// It works in chunks of short transactions; if interrupted, calling it
// again finishes the job. bbolt reuses freed pages but does not zero them:
// until they are overwritten (or the file is compacted), old bytes may
// remain in free pages, never in any live key or value.
func (db *DB) ForgetUser(ctx context.Context, userID string) error {
	if userID == "" {
		return invalid("A user id is required.")
	}
	if err := db.removeScope(ctx, digitbot.Scope{UserID: userID}); err != nil {
		return err
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		guilds := tx.Bucket(bucketGuilds)
		var scrub []digitbot.GuildConfig
		err := guilds.ForEach(func(k, v []byte) error {
			var cfg digitbot.GuildConfig
			if err := jsonUnmarshal(v, &cfg); err != nil {
				return fmt.Errorf("guild config %q: %w", k, err)
			}
			if cfg.UpdatedBy == userID {
				cfg.UpdatedBy = ""
				scrub = append(scrub, cfg)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, cfg := range scrub {
			v, err := jsonMarshal(cfg)
			if err != nil {
				return err
			}
			if err := guilds.Put([]byte(cfg.GuildID), v); err != nil {
				return err
			}
		}
		return nil
	})
	return storeError("forget user", err)
}

// PurgeGuild deletes everything stored about a server: its predictions and
// evaluations (and their share of each user's and the global stats), its
// scopes and its config. See ForgetUser about free pages.
func (db *DB) PurgeGuild(ctx context.Context, guildID string) error {
	if guildID == "" {
		return invalid("A server id is required.")
	}
	if err := db.removeScope(ctx, digitbot.Scope{GuildID: guildID}); err != nil {
		return err
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketGuilds).Delete([]byte(guildID))
	})
	return storeError("purge guild", err)
}

// removeScope removes every prediction listed in a user or guild scope,
// chunk by chunk, then the scope itself.
func (db *DB) removeScope(ctx context.Context, s digitbot.Scope) error {
	key := scopeKey(s)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		done := false
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			done = false
			scopes := tx.Bucket(bucketScopes)
			b := scopes.Bucket(key)
			if b == nil {
				done = true
				return nil
			}
			// Pending predictions are listed by id, evaluated ones by
			// their points.
			var ids [][]byte
			c := b.Cursor()
			for k, _ := c.Seek([]byte{prefixPred}); k != nil && k[0] == prefixPred && len(ids) < chunk; k, _ = c.Next() {
				ids = append(ids, append([]byte(nil), k[1:]...))
			}
			for k, _ := c.Seek([]byte{prefixPoint}); k != nil && k[0] == prefixPoint && len(ids) < chunk; k, _ = c.Next() {
				if len(k) < 9 {
					return fmt.Errorf("corrupt point key %x", k)
				}
				ids = append(ids, append([]byte(nil), k[9:]...))
			}
			for _, id := range ids {
				if err := removePrediction(tx, id); err != nil {
					return err
				}
			}
			if len(ids) < chunk {
				done = true
				// Whatever is left (there should be nothing) goes too.
				if scopes.Bucket(key) != nil {
					return scopes.DeleteBucket(key)
				}
			}
			return nil
		})
		if err != nil {
			return storeError("delete", err)
		}
		if done {
			return nil
		}
	}
}
