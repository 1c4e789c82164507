package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/digitbot/digitbot"
	bolt "go.etcd.io/bbolt"
)

// Sample is one confirmed training sample: the 28x28 input the model saw
// and the digit its poster confirmed. It carries no id of a user, a
// server, a channel or a message.
type Sample struct {
	Input [digitbot.InputSide * digitbot.InputSide]uint8
	// Label is the digit the poster said it was.
	Label int
	// Predicted is the digit the model had read: Predicted != Label is a
	// correction of a wrong answer.
	Predicted   int
	EvaluatedAt time.Time
}

// SampleFilter selects the evaluations Samples reads.
type SampleFilter struct {
	GuildID string    // only this server's (empty: every server, and DMs)
	Since   time.Time // only evaluations at or after this time (zero: all)
}

// SampleReport counts what Samples read and left out.
type SampleReport struct {
	Evaluations int // evaluations read
	Samples     int // samples passed to fn
	// LearningOff counts the evaluations left out because their server
	// turned learning off (GuildConfig.Learning).
	LearningOff int
	// SegmentationErrors counts number verdicts whose length differed
	// from the reading: no digit can be matched with its picture.
	SegmentationErrors int
	// Blank counts digit verdicts whose stored input was empty.
	Blank int
}

// Samples calls fn with every confirmed sample of the filter's
// evaluations, oldest evaluation first: the input of a one-digit reading
// with its true digit, and for a number whose true value has the
// reading's length, each digit's input with its true digit. Servers whose
// moderators turned learning off are left out; forgotten users and purged
// servers are already gone from the file.
//
// It reads in chunks of short read transactions (as ExportCSV does) and
// calls fn outside them; an error from fn stops it and is returned.
func (db *DB) Samples(ctx context.Context, f SampleFilter, fn func(Sample) error) (SampleReport, error) {
	var rep SampleReport
	after := []byte{prefixPoint}
	if !f.Since.IsZero() {
		after = append(after, timeKey(f.Since)...)
	}
	first := true
	contributes := map[string]bool{}
	for {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		var (
			batch []Sample
			read  int
		)
		err := db.bolt.View(func(tx *bolt.Tx) error {
			batch, read = batch[:0], 0
			b := tx.Bucket(bucketScopes).Bucket(scopeKey(digitbot.Scope{GuildID: f.GuildID}))
			if b == nil {
				return nil
			}
			c := b.Cursor()
			k, _ := c.Seek(after)
			if !first && k != nil && bytes.Equal(k, after) {
				k, _ = c.Next()
			}
			for ; k != nil && k[0] == prefixPoint && read < exportChunk; k, _ = c.Next() {
				read++
				after = append(after[:0], k...)
				if len(k) < 9 {
					return errCorruptPoint(k)
				}
				id := k[9:]
				v := tx.Bucket(bucketPredictions).Get(id)
				if v == nil || !recordEvaluated(v) {
					return errCorruptPoint(k)
				}
				rec, err := decodeRecord(tx.Bucket(bucketModels), id, v)
				if err != nil {
					return err
				}
				rep.Evaluations++
				if g := rec.P.GuildID; g != "" {
					ok, seen := contributes[g]
					if !seen {
						ok = true
						if cv := tx.Bucket(bucketGuilds).Get([]byte(g)); cv != nil {
							var cfg digitbot.GuildConfig
							if err := jsonUnmarshal(cv, &cfg); err != nil {
								return err
							}
							ok = cfg.Contributes()
						}
						contributes[g] = ok
					}
					if !ok {
						rep.LearningOff++
						continue
					}
				}
				batch = appendSamples(batch, &rec, &rep)
			}
			return nil
		})
		if err != nil {
			return rep, storeError("samples", err)
		}
		first = false
		for _, s := range batch {
			if err := fn(s); err != nil {
				return rep, err
			}
			rep.Samples++
		}
		if read < exportChunk {
			return rep, nil
		}
	}
}

// appendSamples appends the samples an evaluated record holds.
func appendSamples(out []Sample, rec *record, rep *SampleReport) []Sample {
	e := rec.evaluation()
	if e.SegmentationError() {
		rep.SegmentationErrors++
		return out
	}
	var blank [digitbot.InputSide * digitbot.InputSide]uint8
	for _, v := range e.DigitVerdicts() {
		in := &rec.P.Input
		if rec.P.IsNumber() {
			in = &rec.P.Digits[v.Position].Input
		}
		if *in == blank {
			rep.Blank++
			continue
		}
		out = append(out, Sample{Input: *in, Label: v.True, Predicted: v.Predicted, EvaluatedAt: e.EvaluatedAt})
	}
	return out
}

func errCorruptPoint(k []byte) error { return fmt.Errorf("corrupt or dangling point key %x", k) }
