package store

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/internal/storetest"
)

// benchPending saves n pending predictions (one transaction) for the
// Evaluate benchmarks, all owned by user "bench-user".
func benchPending(b *testing.B, db *DB, n int) []string {
	now := db.now()
	items := make([]historyItem, n)
	for i := range items {
		p := storetest.Pred("111", "bench-user", i%10, 0.7)
		p.CreatedAt = now
		items[i] = historyItem{Pred: p}
	}
	insertHistory(b, db, items)
	ids := make([]string, n)
	for i := range items {
		ids[i] = items[i].Pred.ID
	}
	return ids
}

// BenchmarkEvaluate_SingleWriter: one goroutine, each evaluation its own
// committed (fsynced) transaction.
func BenchmarkEvaluate_SingleWriter(b *testing.B) {
	db := MustOpenDBWith(b, Options{Now: time.Now})
	ids := benchPending(b, db, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := db.Evaluate(bg, ids[i], "bench-user", i%10); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
}

// BenchmarkEvaluate_ConcurrentWriters: 16 goroutines per core share commits
// through db.Batch.
func BenchmarkEvaluate_ConcurrentWriters(b *testing.B) {
	db := MustOpenDBWith(b, Options{Now: time.Now})
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

// BenchmarkSaveAndEvaluate_ConcurrentWriters is the bot's real write path:
// save a prediction, then evaluate it, from many goroutines.
func BenchmarkSaveAndEvaluate_ConcurrentWriters(b *testing.B) {
	db := MustOpenDBWith(b, Options{Now: time.Now})
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

// benchHistory fills db with n evaluations by 1,000 users in 20 servers
// (a quarter in DMs) over a year, with realistic 28x28 inputs, in
// transactions of 10,000.
func benchHistory(b *testing.B, db *DB, n int) {
	r := rand.New(rand.NewPCG(7, 7))
	start := time.Date(2025, 11, 26, 0, 0, 0, 0, time.UTC)
	step := 365 * 24 * time.Hour / time.Duration(n)
	var input [digitbot.InputSide * digitbot.InputSide]uint8
	for y := 4; y < 24; y++ { // a blob of ink, as a real digit has
		for x := 10; x < 18; x++ {
			input[y*28+x] = uint8(100 + r.IntN(155))
		}
	}
	const batch = 10000
	for done := 0; done < n; done += batch {
		items := make([]historyItem, min(batch, n-done))
		for i := range items {
			at := start.Add(time.Duration(done+i) * step)
			guild := fmt.Sprint(1000 + r.IntN(20))
			if r.IntN(4) == 0 {
				guild = ""
			}
			p := storetest.Pred(guild, fmt.Sprint(50000+r.IntN(1000)), r.IntN(10), r.Float64())
			p.Input, p.CreatedAt = input, at.Add(-time.Minute)
			p.MessageID, p.AttachmentID, p.ModelSHA256 = "1234567890123456789", "1234567890123456780", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
			items[i] = historyItem{Pred: p, Evaluated: true, TrueDigit: r.IntN(10), At: at}
		}
		insertHistory(b, db, items)
	}
}

// BenchmarkStats measures Stats on files of 10k, 100k and 1M evaluations
// (generated once per size; 1M takes a while and ~1 GB of temp space) for
// the whole file, one server, one user and that user in the server, and
// reports the file size.
func BenchmarkStats(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("evals=%d", n), func(b *testing.B) {
			if testing.Short() && n > 100_000 {
				b.Skip("1M history skipped in -short mode")
			}
			db := MustOpenDBWith(b, Options{Now: time.Now})
			t0 := time.Now()
			benchHistory(b, db, n)
			fi, err := os.Stat(db.Path())
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("%d evaluations generated in %v; file %.1f MB (%.1f MB per 100k)", n, time.Since(t0).Round(time.Second),
				float64(fi.Size())/1e6, float64(fi.Size())/1e6*100_000/float64(n))
			for _, sc := range []struct {
				name  string
				scope digitbot.Scope
			}{{"all", digitbot.Scope{}}, {"guild", digitbot.Scope{GuildID: "1005"}}, {"user", digitbot.Scope{UserID: "50005"}},
				{"member", digitbot.Scope{GuildID: "1005", UserID: "50005"}}} {
				b.Run(sc.name, func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						s, err := db.Stats(bg, sc.scope)
						if err != nil || s.Total == 0 {
							b.Fatal(s.Total, err)
						}
					}
					b.ReportMetric(float64(fi.Size())/1e6*100_000/float64(n), "MB/100k")
				})
			}
		})
	}
}

// BenchmarkEvaluate_ThreeFiles: three stores, one file each, as three
// shard processes of the one-file-per-shard layout; 16 goroutines per core
// spread over them. Compare with postgres' BenchmarkEvaluate_ThreePools.
func BenchmarkEvaluate_ThreeFiles(b *testing.B) {
	var dbs [3]*DB
	var ids [3][]string
	for i := range dbs {
		dbs[i] = MustOpenDBWith(b, Options{Now: time.Now})
		ids[i] = benchPending(b, dbs[i], b.N)
	}
	var next [3]atomic.Int64
	var worker atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := worker.Add(1) % 3
		for pb.Next() {
			i := next[w].Add(1) - 1
			if _, err := dbs[w].Evaluate(bg, ids[w][i], "bench-user", int(i%10)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
}

// BenchmarkForgetUser_10k: /forget of a user with 10,000 evaluations in
// 20 servers and DMs, in a file of 100,000 others. Each iteration writes
// the user again (untimed).
func BenchmarkForgetUser_10k(b *testing.B) {
	db := MustOpenDBWith(b, Options{Now: time.Now})
	benchHistory(b, db, 100_000)
	b.ResetTimer()
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		items := make([]historyItem, 10_000)
		for j := range items {
			t := at.Add(time.Duration(j) * time.Minute)
			guild := fmt.Sprint(1000 + j%21)
			if j%21 == 20 {
				guild = ""
			}
			p := storetest.Pred(guild, "forget-me", j%10, 0.6)
			p.CreatedAt = t.Add(-time.Minute)
			items[j] = historyItem{Pred: p, Evaluated: true, TrueDigit: (j * 3) % 10, At: t}
		}
		insertHistory(b, db, items)
		b.StartTimer()
		if err := db.ForgetUser(bg, "forget-me"); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if s, _ := db.Stats(bg, digitbot.Scope{}); s.Total != 100_000 {
		b.Fatalf("after forgetting, %d evaluations remain, want 100000", s.Total)
	}
}
