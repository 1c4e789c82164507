package storetest

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
)

// Writers saving and evaluating digits and numbers at once (their commits
// shared through db.Batch) leave aggregates equal to the brute force over
// what the calls returned.
func testStatsConcurrentMixedWriters(t *testing.T, b Backend) {
	clock := &TickingClock{t: time.Date(2026, 11, 20, 23, 58, 0, 0, time.UTC)} // across midnight
	db := b.Open(t, Options{Now: clock.Now})
	var (
		mu    sync.Mutex
		evals []digitbot.Evaluation
		wg    sync.WaitGroup
	)
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 99))
			for i := range 25 {
				guild, user := testGuilds[(w+i)%3], testUsers[w%len(testUsers)]
				var e digitbot.Evaluation
				var err error
				if i%2 == 0 {
					p := MustSave(t, db, Pred(guild, user, r.IntN(10), float64(r.IntN(10000))/probScale))
					e, err = db.Evaluate(bg, p.ID, user, r.IntN(10))
				} else {
					digits := make([]int, 2+r.IntN(4))
					for j := range digits {
						digits[j] = r.IntN(10)
					}
					p := MustSave(t, db, NumberPred(guild, user, digits, r))
					truth := p.Number
					if r.IntN(2) == 0 {
						truth = truth[:len(truth)-1] + "9"
					}
					if r.IntN(3) == 0 {
						truth += "1"
					}
					e, err = db.EvaluateNumber(bg, p.ID, user, truth)
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				evals = append(evals, e)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(evals) != 150 {
		t.Fatalf("%d evaluations", len(evals))
	}
	checkAgainstBruteForce(t, db, evals)
}

// TestStore_Stats_MatchesBruteForce is a property test: for random
// histories, the incrementally kept Stats of every scope kind equal
// digitbot.NewStats over the evaluations, also after ForgetUser and
// PurgeGuild subtracted their share.
func testStatsMatchesBruteForce(t *testing.T, b Backend) {
	for _, tc := range []struct {
		seed uint64
		n    int
	}{{1, 5}, {2, 60}, {3, 150}, {4, 700}, {5, 300}} {
		t.Run(fmt.Sprintf("seed%d_n%d", tc.seed, tc.n), func(t *testing.T) {
			h := b.open(t, 0)
			db := h.db
			evals := h.insert(t, RandomHistory(tc.seed, tc.n))
			if all := digitbot.NewStats(digitbot.Scope{}, evals); tc.n >= 150 && (all.Numbers.Count == 0 || all.Numbers.SegmentationErrors == 0 ||
				all.Numbers.Hits == 0 || all.Numbers.Count == all.Numbers.SegmentationErrors+all.Numbers.Hits) {
				t.Fatalf("test setup: the history lacks some kind of number verdict: %+v", all.Numbers)
			}
			checkAgainstBruteForce(t, db, evals)

			forgotten := testUsers[int(tc.seed)%len(testUsers)]
			if err := db.ForgetUser(bg, forgotten); err != nil {
				t.Fatal(err)
			}
			evals = FilterOut(evals, func(e digitbot.Evaluation) bool { return e.UserID == forgotten })
			checkAgainstBruteForce(t, db, evals)

			purged := testGuilds[int(tc.seed)%2]
			if err := db.PurgeGuild(bg, purged); err != nil {
				t.Fatal(err)
			}
			evals = FilterOut(evals, func(e digitbot.Evaluation) bool { return e.GuildID == purged })
			checkAgainstBruteForce(t, db, evals)
		})
	}
}

func testStatsThroughPublicAPI(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db, clock := h.db, h.clock
	var evals []digitbot.Evaluation
	for i := range 30 {
		p := MustSave(t, db, Pred(testGuilds[i%3], testUsers[i%2], i%10, float64(i)/30))
		clock.Add(7 * time.Hour)
		e, err := db.Evaluate(bg, p.ID, p.UserID, (i*7)%10)
		if err != nil {
			t.Fatal(err)
		}
		evals = append(evals, e)
	}
	checkAgainstBruteForce(t, db, evals)
}

func testStatsEmptyScope(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db := h.db
	scope := digitbot.Scope{GuildID: "999"}
	s, err := db.Stats(bg, scope)
	if err != nil {
		t.Fatal(err)
	}
	if d := DiffStats(s, digitbot.NewStats(scope, nil)); d != "" || s.Recent != nil || s.Daily != nil {
		t.Fatalf("empty stats: %s %+v", d, s)
	}
}

func testExportCSVOldestFirstAndFormulaSafe(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db, clock := h.db, h.clock
	names := []string{"=HYPERLINK(\"http://evil\")", "+1.png", "-2.png", "@SUM(A1).png", "plain, \"quoted\"\nname.png"}
	var ids []string
	for i, name := range names {
		p := Pred("111", "222", i, 0.25)
		p.FileName = name
		p = MustSave(t, db, p)
		clock.Add(time.Hour)
		if _, err := db.Evaluate(bg, p.ID, "222", i); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	other := MustSave(t, db, Pred("999", "333", 1, 0.5))
	if _, err := db.Evaluate(bg, other.ID, "333", 2); err != nil {
		t.Fatal(err)
	}

	var buf bytes.Buffer
	if err := db.ExportCSV(bg, digitbot.Scope{UserID: "222"}, &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("export is not valid CSV: %v", err)
	}
	if strings.Join(rows[0], ",") != "prediction_id,guild_id,channel_id,user_id,file,predicted,confidence,true,correct,predicted_at,evaluated_at,predicted_number,true_number,segmentation_error" {
		t.Fatalf("header = %v", rows[0])
	}
	if len(rows) != 1+len(names) {
		t.Fatalf("%d rows, want %d (only the user's)", len(rows)-1, len(names))
	}
	for i, row := range rows[1:] {
		if row[0] != ids[i] {
			t.Fatalf("row %d is %s, want %s (oldest first)", i, row[0], ids[i])
		}
		want := names[i]
		if strings.ContainsAny(want[:1], "=+-@") {
			want = "'" + want
		}
		if row[4] != want {
			t.Fatalf("file cell %q, want %q", row[4], want)
		}
		if row[8] != "true" || row[6] != "0.25" || row[1] != "111" || row[3] != "222" {
			t.Fatalf("row %d = %v", i, row)
		}
		if _, err := time.Parse(time.RFC3339, row[10]); err != nil || !strings.HasSuffix(row[10], "Z") {
			t.Fatalf("evaluated_at %q is not RFC3339 UTC", row[10])
		}
	}
}

func testExportCSVManyChunks(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db := h.db
	items := make([]HistoryItem, exportChunkRows*2+17)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range items {
		items[i] = HistoryItem{Pred: Pred("", "222", i%10, 0.5), Evaluated: true, TrueDigit: i % 10, At: base.Add(time.Duration(i) * time.Second)}
	}
	h.insert(t, items)
	var buf bytes.Buffer
	if err := db.ExportCSV(bg, digitbot.Scope{}, &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(items)+1 {
		t.Fatalf("%d rows, want %d", len(rows)-1, len(items))
	}
	seen := map[string]bool{}
	for i, row := range rows[1:] {
		if seen[row[0]] {
			t.Fatalf("row %d repeats %s", i, row[0])
		}
		seen[row[0]] = true
		if row[0] != items[i].Pred.ID {
			t.Fatalf("row %d out of order", i)
		}
	}
}
