package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/internal/storetest"
	"github.com/jackc/pgx/v5"
)

// The benchmarks run on a server with PostgreSQL's durable defaults
// (fsync, synchronous commit), as the bbolt store fsyncs every commit:
// compare them with store's benchmarks of the same names.

// openBench opens a store on a fresh database of the durable server.
func openBench(b *testing.B, opts Options) (*DB, string) {
	b.Helper()
	if benchServer == nil {
		suite.NewDatabase(b) // skips or fails with the reason
		b.Fatal("no durable PostgreSQL server for benchmarks")
	}
	url, err := benchServer.CreateDatabase(bg, "bench")
	if err != nil {
		b.Fatal(err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	db, err := Open(bg, url, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db, url
}

// benchPending saves n pending predictions of "bench-user" with COPY.
func benchPending(b *testing.B, db *DB, n int) []string {
	b.Helper()
	ids := make([]string, n)
	rows := make([][]any, n)
	now := time.Now().UTC()
	for i := range rows {
		ids[i] = fmt.Sprintf("bench-%d-%d", now.UnixNano(), i)
		rows[i] = predictionRow(ids[i], "111", "bench-user", i%10, 7000, nil, now, nil, 0)
	}
	copyPredictions(b, db, rows)
	return ids
}

var predictionColumns = []string{"id", "guild_id", "channel_id", "message_id", "user_id", "attachment_id", "file_name", "number",
	"digit", "confidence", "probabilities", "input", "digit_confidences", "digit_count", "model_sha256", "created_at",
	"evaluated_at", "true_digit", "points"}

// predictionRow is a one-digit prediction row for COPY, evaluated when
// evaluatedAt is set.
func predictionRow(id, guild, user string, digit int, conf int32, input []byte, created time.Time, evaluatedAt *time.Time, trueDigit int) []any {
	probs := make([]int16, 10)
	probs[digit] = int16(conf)
	row := []any{id, guild, "555", "1234567890123456789", user, "1234567890123456780", "digit.png", "",
		int16(digit), conf, probs, input, []int32{}, int16(0), "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", created,
		nil, nil, nil}
	if evaluatedAt != nil {
		pt := conf
		if digit == trueDigit {
			pt |= pointCorrect
		}
		row[16], row[17], row[18] = *evaluatedAt, int16(trueDigit), []int32{pt}
	}
	return row
}

func copyPredictions(b *testing.B, db *DB, rows [][]any) {
	b.Helper()
	if _, err := db.pool.CopyFrom(bg, pgx.Identifier{"predictions"}, predictionColumns, pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
}

// addAggregates counts one-digit evaluations loaded with COPY, through
// the code Evaluate uses, then refreshes the planner's statistics.
func addAggregates(b *testing.B, db *DB, evals []digitbot.Evaluation) {
	b.Helper()
	batch := &pgx.Batch{}
	if err := queueStats(batch, evals, 1); err != nil {
		b.Fatal(err)
	}
	err := pgx.BeginFunc(bg, db.pool, func(tx pgx.Tx) error { return tx.SendBatch(bg, batch).Close() })
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.pool.Exec(bg, `VACUUM ANALYZE`); err != nil {
		b.Fatal(err)
	}
}

// loadedEvaluation is the evaluation predictionRow's row holds.
func loadedEvaluation(id, guild, user string, digit int, conf int32, at time.Time, trueDigit int) digitbot.Evaluation {
	return digitbot.Evaluation{PredictionID: id, GuildID: guild, UserID: user, Predicted: digit,
		Confidence: dequantise(conf), TrueDigit: trueDigit, EvaluatedAt: at}
}

// benchHistory loads n evaluations by 1,000 users in 20 servers (a
// quarter in DMs) over a year, with a 28x28 input each, as store's
// benchHistory does: with COPY, then the aggregates in one statement.
func benchHistory(b *testing.B, db *DB, n int, idPrefix string) {
	b.Helper()
	r := rand.New(rand.NewPCG(7, 7))
	start := time.Date(2025, 11, 26, 0, 0, 0, 0, time.UTC)
	step := 365 * 24 * time.Hour / time.Duration(n)
	input := make([]byte, digitbot.InputSide*digitbot.InputSide)
	for y := 4; y < 24; y++ {
		for x := 10; x < 18; x++ {
			input[y*28+x] = uint8(100 + r.IntN(155))
		}
	}
	const batch = 50000
	var evals []digitbot.Evaluation
	for done := 0; done < n; done += batch {
		rows := make([][]any, min(batch, n-done))
		for i := range rows {
			at := start.Add(time.Duration(done+i) * step)
			guild := fmt.Sprint(1000 + r.IntN(20))
			if r.IntN(4) == 0 {
				guild = ""
			}
			id, user, digit, conf, truth := fmt.Sprintf("%s%09d", idPrefix, done+i), fmt.Sprint(50000+r.IntN(1000)), r.IntN(10), int32(r.IntN(probScale+1)), r.IntN(10)
			rows[i] = predictionRow(id, guild, user, digit, conf, input, at.Add(-time.Minute), &at, truth)
			evals = append(evals, loadedEvaluation(id, guild, user, digit, conf, at, truth))
		}
		copyPredictions(b, db, rows)
	}
	addAggregates(b, db, evals)
}

// BenchmarkEvaluate_SingleWriter: one goroutine, each evaluation its own
// committed transaction.
func BenchmarkEvaluate_SingleWriter(b *testing.B) {
	db, _ := openBench(b, Options{})
	ids := benchPending(b, db, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := db.Evaluate(bg, ids[i], "bench-user", i%10); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
}

// BenchmarkEvaluate_ConcurrentWriters: 16 goroutines per core on one
// connection pool (8 connections), as one busy process.
func BenchmarkEvaluate_ConcurrentWriters(b *testing.B) {
	db, _ := openBench(b, Options{})
	ids := benchPending(b, db, b.N)
	var next atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			if _, err := db.Evaluate(bg, ids[i], "bench-user", int(i%10)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
}

// BenchmarkEvaluate_ThreePools: three stores on one database, each with
// its own connection pool, as three processes of a fleet; 16 goroutines
// per core spread over them. (Three pools in one process, not three
// processes: the database sees three clients all the same.)
func BenchmarkEvaluate_ThreePools(b *testing.B) {
	db, url := openBench(b, Options{})
	ids := benchPending(b, db, b.N)
	dbs := []*DB{db}
	for range 2 {
		other, err := Open(bg, url, Options{Now: time.Now})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { other.Close() })
		dbs = append(dbs, other)
	}
	var next, worker atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		mine := dbs[worker.Add(1)%3]
		for pb.Next() {
			i := next.Add(1) - 1
			if _, err := mine.Evaluate(bg, ids[i], "bench-user", int(i%10)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
}

// BenchmarkSaveAndEvaluate_ConcurrentWriters: what one answered and
// evaluated upload costs: a save, then a verdict.
func BenchmarkSaveAndEvaluate_ConcurrentWriters(b *testing.B) {
	db, _ := openBench(b, Options{})
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			p := storetest.Pred("111", "bench-user", i%10, 0.7)
			if err := db.SavePrediction(bg, &p); err != nil {
				b.Error(err)
				return
			}
			if _, err := db.Evaluate(bg, p.ID, "bench-user", (i*3)%10); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
}

// BenchmarkStats measures Stats at 10k, 100k and 1M evaluations for the
// whole database, one server, one user and that user in the server, and
// reports the database size. The loaded aggregates are checked against a
// brute force of one user's evaluations first.
func BenchmarkStats(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("evals=%d", n), func(b *testing.B) {
			if testing.Short() && n > 100_000 {
				b.Skip("1M history skipped in -short mode")
			}
			db, _ := openBench(b, Options{})
			t0 := time.Now()
			benchHistory(b, db, n, "h")
			var size int64
			if err := db.pool.QueryRow(bg, `SELECT pg_database_size(current_database())`).Scan(&size); err != nil {
				b.Fatal(err)
			}
			b.Logf("%d evaluations loaded in %v; database %.1f MB (%.1f MB per 100k)", n, time.Since(t0).Round(time.Second),
				float64(size)/1e6, float64(size)/1e6*100_000/float64(n))
			user := digitbot.Scope{UserID: "50005"}
			hist, err := db.History(bg, user, 0)
			if err != nil {
				b.Fatal(err)
			}
			if s, err := db.Stats(bg, user); err != nil || storetest.DiffStats(s, digitbot.NewStats(user, hist)) != "" {
				b.Fatalf("loaded aggregates differ from the records: %v %s", err, storetest.DiffStats(s, digitbot.NewStats(user, hist)))
			}
			for _, sc := range []struct {
				name  string
				scope digitbot.Scope
			}{{"all", digitbot.Scope{}}, {"guild", digitbot.Scope{GuildID: "1005"}}, {"user", user},
				{"member", digitbot.Scope{GuildID: "1005", UserID: "50005"}}} {
				b.Run(sc.name, func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						s, err := db.Stats(bg, sc.scope)
						if err != nil || s.Total == 0 {
							b.Fatal(s.Total, err)
						}
					}
					b.ReportMetric(float64(size)/1e6*100_000/float64(n), "MB/100k")
				})
			}
		})
	}
}

// BenchmarkForgetUser_10k: /forget of a user with 10,000 evaluations in
// 20 servers and DMs, in a database of 100,000 others. Each iteration
// loads the user again (untimed).
func BenchmarkForgetUser_10k(b *testing.B) {
	db, _ := openBench(b, Options{})
	benchHistory(b, db, 100_000, "h")
	b.ResetTimer()
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	var once sync.Once
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		rows := make([][]any, 10_000)
		evals := make([]digitbot.Evaluation, len(rows))
		for j := range rows {
			t := at.Add(time.Duration(j) * time.Minute)
			guild := fmt.Sprint(1000 + j%21)
			if j%21 == 20 {
				guild = ""
			}
			id := fmt.Sprintf("f%d-%05d", i, j)
			rows[j] = predictionRow(id, guild, "forget-me", j%10, 6000, nil, t.Add(-time.Minute), &t, (j*3)%10)
			evals[j] = loadedEvaluation(id, guild, "forget-me", j%10, 6000, t, (j*3)%10)
		}
		copyPredictions(b, db, rows)
		addAggregates(b, db, evals)
		once.Do(func() {
			if s, _ := db.Stats(bg, digitbot.Scope{UserID: "forget-me"}); s.Total != 10_000 {
				b.Fatalf("setup: the user has %d evaluations", s.Total)
			}
		})
		b.StartTimer()
		if err := db.ForgetUser(context.Background(), "forget-me"); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if s, _ := db.Stats(bg, digitbot.Scope{}); s.Total != 100_000 {
		b.Fatalf("after forgetting, %d evaluations remain, want 100000", s.Total)
	}
}
