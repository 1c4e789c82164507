package store

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
	bolt "go.etcd.io/bbolt"
)

// fixtureInputs returns the 28x28 inputs of the v1 fixture's predictions:
// real MNIST digits (testdata/README.md).
func fixtureInputs(tb testing.TB) [][digitbot.InputSide * digitbot.InputSide]uint8 {
	tb.Helper()
	b, err := bolt.Open(filepath.Join("testdata", "v1.db"), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	defer b.Close()
	var inputs [][digitbot.InputSide * digitbot.InputSide]uint8
	err = b.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPredictions).ForEach(func(k, v []byte) error {
			p, err := decodePredictionV1(v)
			inputs = append(inputs, p.Input)
			return err
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return inputs
}

// sizeHistory writes n evaluated one-digit predictions as the bot makes
// them: n/100 users (1,000 for 100,000: a hundred evaluations each) with
// Discord ids in 20 servers (a quarter in DMs),
// three channels per server, message and attachment snowflakes, a file
// name, one model, probabilities from the classifier's float64 softmax
// (the top one 0.5-1, the rest spread at random), real MNIST inputs, the
// verdict right four times in five, one every 5 minutes (100,000 in a
// year). Transactions of 10,000,
// through the functions SavePrediction and Evaluate use.
func sizeHistory(tb testing.TB, db *DB, n int, inputs [][digitbot.InputSide * digitbot.InputSide]uint8) {
	sizeItems(n, inputs, func(items []historyItem) { insertHistory(tb, db, items) })
}

// sizeItems generates sizeHistory's items and hands them to use 10,000 at
// a time.
func sizeItems(n int, inputs [][digitbot.InputSide * digitbot.InputSide]uint8, use func([]historyItem)) {
	r := rand.New(rand.NewPCG(11, 12))
	start := time.Date(2025, 11, 26, 0, 0, 0, 0, time.UTC)
	step := 365 * 24 * time.Hour / 100_000 // 100,000 span a year
	const sha = "5d41402abc4b2a76b9719d911017c592ae0f8d4f6a3f3b1c2c9e0e3f5a7b9c1d"
	const batch = 10000
	users := max(1, n/100)
	for done := 0; done < n; done += batch {
		items := make([]historyItem, min(batch, n-done))
		for i := range items {
			k := done + i
			at := start.Add(time.Duration(k) * step)
			guild, channel := "", strconv.FormatUint(1190000000000000000+uint64(r.IntN(1000)), 10)
			if r.IntN(4) != 0 {
				g := uint64(r.IntN(20))
				guild = strconv.FormatUint(1180000000000000000+g*7919, 10)
				channel = strconv.FormatUint(1190000000000000000+g*7919+uint64(r.IntN(3)), 10)
			}
			user := strconv.FormatUint(290000000000000000+uint64(r.IntN(users))*104729, 10)
			digit := r.IntN(10)
			conf := 0.5 + r.Float64()/2
			var probs [10]float64
			rest := 1 - conf
			for d := range probs {
				if d != digit {
					probs[d] = rest * r.Float64() / 5
				}
			}
			probs[digit] = conf
			p := digitbot.Prediction{GuildID: guild, ChannelID: channel, UserID: user,
				MessageID:    strconv.FormatUint(1300000000000000000+uint64(k)*4194304, 10),
				AttachmentID: strconv.FormatUint(1310000000000000000+uint64(k)*4194304, 10),
				FileName:     fmt.Sprintf("IMG_%04d.jpg", r.IntN(10000)),
				Digit:        digit, Confidence: conf, Probabilities: probs, Input: inputs[k%len(inputs)],
				ModelSHA256: sha, CreatedAt: at.Add(-time.Minute)}
			truth := digit
			if r.IntN(5) == 0 {
				truth = r.IntN(10)
			}
			items[i] = historyItem{Pred: p, Evaluated: true, TrueDigit: truth, At: at}
		}
		use(items)
	}
}

// fileBytes is the size of the file's pages in use (free pages included):
// the file itself is grown in steps of up to bbolt's 16 MiB AllocSize.
func fileBytes(tb testing.TB, db *DB) int64 {
	tb.Helper()
	var n int64
	if err := db.bolt.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil }); err != nil {
		tb.Fatal(err)
	}
	return n
}

// measureSize writes n evaluations and returns the bytes per evaluation of
// the file as written and of a compacted copy.
func measureSize(tb testing.TB, n int) (written, compacted float64) {
	db := MustOpenDBWith(tb, Options{Now: time.Now})
	sizeHistory(tb, db, n, fixtureInputs(tb))
	written = float64(fileBytes(tb, db)) / float64(n)
	path := filepath.Join(tb.TempDir(), "compact.db")
	if err := db.CompactTo(path); err != nil {
		tb.Fatal(err)
	}
	c, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	return written, float64(fileBytes(tb, c)) / float64(n)
}

// TestStore_RecordSize guards what a one-digit evaluation with its
// prediction, indexes and aggregates costs in a compacted file. The goal is
// 400 bytes, met on 100,000 evaluations of 1,000 users over a year
// (BenchmarkFileSize: 395); here, on 5,000 of 50 users over 18 days, the
// file's fixed costs weigh more (416), hence the bound of 425. As written in
// transactions of 10,000 the file also holds the pages those transactions
// freed, which a running bot reuses (BenchmarkFileSize_OneTxPerWrite).
func TestStore_RecordSize(t *testing.T) {
	t.Parallel()
	written, compacted := measureSize(t, 5000)
	t.Logf("%.0f bytes per evaluation as written, %.0f compacted", written, compacted)
	if compacted > 425 {
		t.Fatalf("%.0f bytes per evaluation compacted: over 425", compacted)
	}
}

// BenchmarkFileSize reports the bytes per evaluation of a file of 100,000
// one-digit evaluations (see sizeHistory), as written and compacted:
//
//	go test -run '^$' -bench FileSize -benchtime 1x ./store/
func BenchmarkFileSize(b *testing.B) {
	const n = 100_000
	var written, compacted float64
	for range b.N {
		written, compacted = measureSize(b, n)
	}
	b.ReportMetric(written, "B/eval")
	b.ReportMetric(compacted, "B/eval-compacted")
}

// BenchmarkFileSize_OneTxPerWrite writes the same 100,000 evaluations as
// the bot does, SavePrediction then Evaluate, each its own transaction
// (without fsync, which changes nothing in the file's layout), so that
// freed pages are reused as they are in a running bot:
//
//	go test -run '^$' -bench FileSize_OneTx -benchtime 1x ./store/
func BenchmarkFileSize_OneTxPerWrite(b *testing.B) {
	const n = 100_000
	inputs := fixtureInputs(b)
	for range b.N {
		clock := newFakeClock()
		db := MustOpenDBWith(b, Options{Now: clock.Now, PendingTTL: 1 << 62})
		db.bolt.NoSync = true
		sizeItems(n, inputs, func(items []historyItem) {
			for _, it := range items {
				clock.Set(it.Pred.CreatedAt)
				it.Pred.CreatedAt = time.Time{}
				if err := db.SavePrediction(bg, &it.Pred); err != nil {
					b.Fatal(err)
				}
				clock.Set(it.At)
				if _, err := db.Evaluate(bg, it.Pred.ID, it.Pred.UserID, it.TrueDigit); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.ReportMetric(float64(fileBytes(b, db))/n, "B/eval")
	}
}
