package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/digitbot/digitbot"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Schema version 1 kept each evaluation as JSON in its own bucket, with
// the prediction's fields copied into it, and each prediction as format 1:
// the byte 1, the uvarint length of the run-length encoded input, the
// input, then the Prediction as JSON (which omits Input).
var bucketEvaluationsV1 = []byte("evaluations")

const predictionFormatV1 = 1

func decodePredictionV1(v []byte) (digitbot.Prediction, error) {
	var p digitbot.Prediction
	if len(v) == 0 || v[0] != predictionFormatV1 {
		return p, errors.New("unknown version 1 prediction record format")
	}
	n, w := binary.Uvarint(v[1:])
	if w <= 0 || uint64(len(v)-1-w) < n {
		return p, errors.New("truncated version 1 prediction record")
	}
	in := v[1+w : 1+w+int(n)]
	if err := json.Unmarshal(v[1+w+int(n):], &p); err != nil {
		return p, err
	}
	return p, decodeRuns(in, p.Input[:])
}

// migrateChunk is how many records migrateV1 rewrites between cursor
// seeks (a cursor must be repositioned after its bucket changes).
const migrateChunk = 1000

// migrateV1 rewrites every prediction as a version 2 record under its
// version 2 key (see idKey), with its evaluation's verdict appended, drops
// the evaluations bucket and rebuilds the pending index and the stats
// scopes from the records (totals gain the number counts, points their new
// value, the user-in-server scopes go). It runs inside Open's transaction:
// a failure leaves the file at version 1.
func migrateV1(tx *bolt.Tx) error {
	if err := createBuckets(tx); err != nil {
		return err
	}
	preds := tx.Bucket(bucketPredictions)
	models := tx.Bucket(bucketModels)
	evals := tx.Bucket(bucketEvaluationsV1)
	if evals == nil {
		return errors.New("version 1 file without an evaluations bucket")
	}
	type kv struct{ k, v []byte }
	var after []byte
	for {
		var batch []kv
		c := preds.Cursor()
		k, v := c.First()
		if after != nil {
			k, v = c.Seek(after)
			if k != nil && bytes.Equal(k, after) {
				k, v = c.Next()
			}
		}
		for ; k != nil && len(batch) < migrateChunk; k, v = c.Next() {
			batch = append(batch, kv{append([]byte(nil), k...), append([]byte(nil), v...)})
		}
		for _, r := range batch {
			p, err := decodePredictionV1(r.v)
			if err != nil {
				return fmt.Errorf("prediction %q: %w", r.k, err)
			}
			p.ID = string(r.k)
			nv, err := encodeRecord(models, &p)
			if err != nil {
				return fmt.Errorf("prediction %q: %w", r.k, err)
			}
			if ev := evals.Get(r.k); ev != nil {
				var e digitbot.Evaluation
				if err := json.Unmarshal(ev, &e); err != nil {
					return fmt.Errorf("evaluation %q: %w", r.k, err)
				}
				if e.TrueDigit < 0 || e.TrueDigit > 9 {
					return fmt.Errorf("evaluation %q: true digit %d", r.k, e.TrueDigit)
				}
				nv = appendVerdict(nv, p.CreatedAt, e.EvaluatedAt, e.TrueDigit, "", false)
			}
			// Ids drawn by newID get their ten-byte key.
			nk := idKey(p.ID)
			if !bytes.Equal(nk, r.k) {
				if err := preds.Delete(r.k); err != nil {
					return err
				}
			}
			if err := preds.Put(nk, nv); err != nil {
				return err
			}
		}
		if len(batch) < migrateChunk {
			break
		}
		after = batch[len(batch)-1].k
	}
	if err := tx.DeleteBucket(bucketEvaluationsV1); err != nil {
		return err
	}
	return rebuildScopes(tx)
}

// rebuildScopes recomputes the pending index and every stats scope from
// the records.
func rebuildScopes(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketScopes, bucketPending} {
		if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return err
		}
		if _, err := tx.CreateBucket(name); err != nil {
			return err
		}
	}
	pending := tx.Bucket(bucketPending)
	models := tx.Bucket(bucketModels)
	return tx.Bucket(bucketPredictions).ForEach(func(k, v []byte) error {
		rec, err := decodeVerdict(models, k, v)
		if err != nil {
			return fmt.Errorf("prediction %q: %w", k, err)
		}
		if rec.Evaluated {
			return countEvaluation(tx, rec.evaluation(), 1)
		}
		if err := pending.Put(pendingKey(rec.P.CreatedAt, rec.P.ID), nil); err != nil {
			return err
		}
		return indexPrediction(tx, &rec.P)
	})
}

// decodeRuns decodes a version 1 input: (zero run, literal length,
// literal bytes) triples of uvarints.
func decodeRuns(b []byte, px []uint8) error {
	i := 0
	for len(b) > 0 {
		z, n := binary.Uvarint(b)
		if n <= 0 {
			return errors.New("corrupt input runs")
		}
		b = b[n:]
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) || z+l > uint64(len(px)-i) {
			return errors.New("corrupt input runs")
		}
		b = b[n:]
		for j := range z {
			px[i+int(j)] = 0
		}
		i += int(z)
		copy(px[i:], b[:l])
		i += int(l)
		b = b[l:]
	}
	if i != len(px) {
		return errors.New("input runs do not cover the image")
	}
	return nil
}
