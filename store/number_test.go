package store

import (
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/internal/storetest"
	bolt "go.etcd.io/bbolt"
)

// year2026 is a number reading of "2026" by user 222 in server 111.
func year2026() digitbot.Prediction {
	return storetest.NumberPred("111", "222", []int{2, 0, 2, 6}, rand.New(rand.NewPCG(1, 2)))
}

// decodeVerdict reads everything decodeRecord does but the inputs.
func TestStore_DecodeVerdict_SkipsOnlyInputs(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	one := storetest.Pred("111", "222", 7, 0.8125)
	one.Input[300] = 200
	one.Number, one.Digits = "7", []digitbot.DigitReading{{Digit: 7, Confidence: 0.8125, Probabilities: one.Probabilities, Input: one.Input, Box: [4]int{1, 2, 3, 4}}}
	for _, p := range []digitbot.Prediction{storetest.MustSave(t, db, year2026()), storetest.MustSave(t, db, one)} {
		if _, err := db.EvaluateNumber(bg, p.ID, "222", p.Number); err != nil {
			t.Fatal(err)
		}
		db.bolt.View(func(tx *bolt.Tx) error {
			v := tx.Bucket(bucketPredictions).Get(idKey(p.ID))
			full, err1 := decodeRecord(tx.Bucket(bucketModels), idKey(p.ID), v)
			slim, err2 := decodeVerdict(tx.Bucket(bucketModels), idKey(p.ID), v)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if full.P.Digits[0].Input == (picture{}) {
				t.Fatal("test setup: no input to skip")
			}
			full.P.Input = picture{}
			for i := range full.P.Digits {
				full.P.Digits[i].Input = picture{}
			}
			if !reflect.DeepEqual(full, slim) {
				t.Fatalf("decodeVerdict differs beyond the inputs:\n%+v\n%+v", full.evaluation(), slim.evaluation())
			}
			return nil
		})
	}
}

// tickingClock returns a later time at every call, so that concurrent
// evaluations have distinct times (digitbot.NewStats orders ties by input
// order, the store by id).
type tickingClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *tickingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}
