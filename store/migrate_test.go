package store

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/internal/storetest"
	bolt "go.etcd.io/bbolt"
)

// The v1 fixture (testdata/README.md): who is in it, and when its clock
// stopped. The tests open it a day later, before its pending predictions
// expire.
var (
	fixtureGuilds    = []string{"1180000000000000001", "1180000000000000002"}
	fixtureUsers     = []string{"2900000000000000011", "2900000000000000022", "2900000000000000033"}
	fixtureForgotten = "2900000000000000044"
	fixtureNow       = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
)

// copyFixture copies testdata/v1.db into a temporary directory.
func copyFixture(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "v1.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "digitbot.db")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// v1Contents is what a version 1 file holds, read with version 1's own
// decoding, independently of the migration.
type v1Contents struct {
	Predictions map[string]digitbot.Prediction
	Evaluations []digitbot.Evaluation // as stored: confidences in full
	Guilds      map[string]digitbot.GuildConfig
	Pending     int
}

func readV1(t *testing.T, path string) v1Contents {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c := v1Contents{Predictions: map[string]digitbot.Prediction{}, Guilds: map[string]digitbot.GuildConfig{}}
	err = b.View(func(tx *bolt.Tx) error {
		if v, _, err := readVersion(tx); err != nil || v != 1 {
			return fmt.Errorf("fixture is version %d (%v), want 1", v, err)
		}
		err := tx.Bucket(bucketPredictions).ForEach(func(k, v []byte) error {
			p, err := decodePredictionV1(v)
			c.Predictions[string(k)] = p
			return err
		})
		if err != nil {
			return err
		}
		err = tx.Bucket(bucketEvaluationsV1).ForEach(func(k, v []byte) error {
			var e digitbot.Evaluation
			c.Evaluations = append(c.Evaluations, e)
			return json.Unmarshal(v, &c.Evaluations[len(c.Evaluations)-1])
		})
		if err != nil {
			return err
		}
		c.Pending = tx.Bucket(bucketPending).Stats().KeyN
		return tx.Bucket(bucketGuilds).ForEach(func(k, v []byte) error {
			var g digitbot.GuildConfig
			err := json.Unmarshal(v, &g)
			c.Guilds[string(k)] = g
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rounded is what schema v2 keeps of a v1 evaluation: the confidence to
// probScale.
func rounded(evals []digitbot.Evaluation) []digitbot.Evaluation {
	out := make([]digitbot.Evaluation, len(evals))
	for i, e := range evals {
		e.Confidence = dequantise(quantise(e.Confidence))
		out[i] = e
	}
	return out
}

// fixtureScopes lists every scope of every kind in the fixture, the
// forgotten user's included.
func fixtureScopes() []digitbot.Scope {
	scopes := []digitbot.Scope{{}}
	for _, g := range fixtureGuilds {
		scopes = append(scopes, digitbot.Scope{GuildID: g})
	}
	for _, u := range append(append([]string(nil), fixtureUsers...), fixtureForgotten) {
		scopes = append(scopes, digitbot.Scope{UserID: u})
		for _, g := range fixtureGuilds {
			scopes = append(scopes, digitbot.Scope{GuildID: g, UserID: u})
		}
	}
	return scopes
}

// openMigrated copies the fixture, reads it as version 1 and opens it
// (migrating it) with the clock a day after the fixture's.
func openMigrated(t *testing.T) (*DB, v1Contents) {
	t.Helper()
	path := copyFixture(t)
	want := readV1(t, path)
	db, err := Open(path, Options{Now: func() time.Time { return fixtureNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		MustCheck(t, db)
		db.Close()
	})
	return db, want
}

func TestStore_MigrateV1_FixtureIsVersion1(t *testing.T) {
	t.Parallel()
	c := readV1(t, copyFixture(t))
	if len(c.Predictions) != 36 || len(c.Evaluations) != 29 || c.Pending != 7 || len(c.Guilds) != 2 {
		t.Fatalf("fixture holds %d predictions, %d evaluations, %d pending, %d configs; testdata/README.md says 36, 29, 7, 2",
			len(c.Predictions), len(c.Evaluations), c.Pending, len(c.Guilds))
	}
}

// TestStore_MigrateV1_RecordsReadable checks that every prediction and
// evaluation of the v1 fixture reads back from the migrated file with the
// same fields (probabilities and confidences to probScale), and that a
// read-only open refuses the old file until it has been migrated.
func TestStore_MigrateV1_RecordsReadable(t *testing.T) {
	t.Parallel()
	path := copyFixture(t)
	_, err := Open(path, Options{ReadOnly: true})
	if msg := digitbot.ErrorMessage(err); !strings.Contains(msg, "schema version 1, older than") {
		t.Fatalf("read-only open of a v1 file: %v", err)
	}
	db, want := openMigrated(t)
	db.bolt.View(func(tx *bolt.Tx) error {
		if v, _, _ := readVersion(tx); v != SchemaVersion {
			t.Errorf("version after migration = %d", v)
		}
		if tx.Bucket(bucketEvaluationsV1) != nil {
			t.Error("the v1 evaluations bucket survived the migration")
		}
		// The pending index lists the unevaluated predictions, under
		// their new keys.
		pending := 0
		tx.Bucket(bucketPending).ForEach(func(k, _ []byte) error {
			pending++
			if v := tx.Bucket(bucketPredictions).Get(k[8:]); v == nil || recordEvaluated(v) {
				t.Errorf("pending entry %x does not name a pending prediction", k)
			}
			return nil
		})
		if pending != want.Pending {
			t.Errorf("%d pending entries, want %d", pending, want.Pending)
		}
		return nil
	})
	for id, w := range want.Predictions {
		got, err := db.Prediction(bg, id)
		if err != nil {
			t.Fatalf("prediction %s: %v", id, err)
		}
		if d := diffPrediction(got, w); d != "" {
			t.Fatalf("prediction %s: %s", id, d)
		}
	}
	for _, w := range rounded(want.Evaluations) {
		got, err := db.Evaluation(bg, w.PredictionID)
		if err != nil {
			t.Fatal(err)
		}
		if d := storetest.DiffEvaluation(got, w); d != "" {
			t.Fatalf("evaluation %s: %s", w.PredictionID, d)
		}
		if math.Abs(got.Confidence-want.Predictions[w.PredictionID].Confidence) > 0.5/probScale {
			t.Fatalf("confidence %v, v1 had %v", got.Confidence, want.Predictions[w.PredictionID].Confidence)
		}
	}
	for id, w := range want.Guilds {
		got, err := db.GuildConfig(bg, id)
		if err != nil || !reflect2(got, w) {
			t.Fatalf("config %s = %+v (%v), want %+v", id, got, err, w)
		}
	}
	// The pending ones can still be evaluated, once.
	for id, p := range want.Predictions {
		if _, err := db.Evaluation(bg, id); digitbot.ErrorCode(err) != digitbot.ENOTFOUND {
			continue
		}
		e, err := db.Evaluate(bg, id, p.UserID, 4)
		if err != nil || e.TrueDigit != 4 || e.Predicted != p.Digit {
			t.Fatalf("evaluating pending %s after migration: %+v, %v", id, e, err)
		}
		_, err = db.Evaluate(bg, id, p.UserID, 5)
		wantCode(t, err, digitbot.EALREADYEVALUATED)
	}
}

func reflect2(a, b digitbot.GuildConfig) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// diffPrediction compares a v2 prediction with what it was: probabilities
// and confidences may differ by half a probScale unit, nothing else.
func diffPrediction(got, want digitbot.Prediction) string {
	near := func(a, b float64) bool { return math.Abs(a-b) <= 0.5/probScale+1e-12 }
	if !near(got.Confidence, want.Confidence) {
		return fmt.Sprintf("confidence %v, want %v", got.Confidence, want.Confidence)
	}
	for i := range got.Probabilities {
		if !near(got.Probabilities[i], want.Probabilities[i]) {
			return fmt.Sprintf("probabilities %v, want %v", got.Probabilities, want.Probabilities)
		}
	}
	if len(got.Digits) != len(want.Digits) {
		return fmt.Sprintf("%d digit readings, want %d", len(got.Digits), len(want.Digits))
	}
	for i := range got.Digits {
		g, w := got.Digits[i], want.Digits[i]
		if g.Digit != w.Digit || g.Box != w.Box || g.Input != w.Input || !near(g.Confidence, w.Confidence) {
			return fmt.Sprintf("digit reading %d = %d %v %v, want %d %v %v", i, g.Digit, g.Confidence, g.Box, w.Digit, w.Confidence, w.Box)
		}
		for j := range g.Probabilities {
			if !near(g.Probabilities[j], w.Probabilities[j]) {
				return fmt.Sprintf("digit reading %d probabilities %v, want %v", i, g.Probabilities, w.Probabilities)
			}
		}
	}
	if !got.CreatedAt.Equal(want.CreatedAt) {
		return fmt.Sprintf("created %v, want %v", got.CreatedAt, want.CreatedAt)
	}
	g, w := got, want
	g.Confidence, g.Probabilities, g.Digits, g.CreatedAt = 0, [10]float64{}, nil, time.Time{}
	w.Confidence, w.Probabilities, w.Digits, w.CreatedAt = 0, [10]float64{}, nil, time.Time{}
	if !reflect.DeepEqual(g, w) {
		return fmt.Sprintf("%+v\nwant %+v", g, w)
	}
	return ""
}

// TestStore_MigrateV1_AggregatesMatchBruteForce: after the migration, the
// rebuilt Stats and History of every scope equal digitbot.NewStats and a
// sort over the v1 evaluations; ExportCSV lists them too, and they survive
// ForgetUser and PurgeGuild.
func TestStore_MigrateV1_AggregatesMatchBruteForce(t *testing.T) {
	t.Parallel()
	db, want := openMigrated(t)
	evals := rounded(want.Evaluations)
	storetest.CheckScopes(t, db, evals, fixtureScopes())

	var buf bytes.Buffer
	if err := db.ExportCSV(bg, digitbot.Scope{}, &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(evals) || len(rows[0]) != len(digitbot.CSVHeader()) {
		t.Fatalf("export has %d rows of %d columns, want %d of %d", len(rows), len(rows[0]), 1+len(evals), len(digitbot.CSVHeader()))
	}
	sort.Slice(evals, func(i, j int) bool { return evals[i].EvaluatedAt.Before(evals[j].EvaluatedAt) })
	for i, row := range rows[1:] {
		if d := evals[i].CSVRecord(); strings.Join(row, ",") != strings.Join(d, ",") {
			t.Fatalf("export row %d = %v, want %v", i, row, d)
		}
		if row[11] != "" || row[12] != "" || row[13] != "false" {
			t.Fatalf("one-digit row %d has number cells %v", i, row[11:])
		}
	}

	if err := db.ForgetUser(bg, fixtureUsers[0]); err != nil {
		t.Fatal(err)
	}
	if hits := findID(t, db, fixtureUsers[0]); len(hits) != 0 {
		t.Fatalf("forgotten user still in the file:\n%v", hits)
	}
	evals = storetest.FilterOut(evals, func(e digitbot.Evaluation) bool { return e.UserID == fixtureUsers[0] })
	storetest.CheckScopes(t, db, evals, fixtureScopes())
	cfg, err := db.GuildConfig(bg, fixtureGuilds[0])
	if err != nil || cfg.UpdatedBy != "" || cfg.Threshold != 0.8 {
		t.Fatalf("config after forgetting its last editor: %+v %v", cfg, err)
	}

	if err := db.PurgeGuild(bg, fixtureGuilds[1]); err != nil {
		t.Fatal(err)
	}
	if hits := findID(t, db, fixtureGuilds[1]); len(hits) != 0 {
		t.Fatalf("purged server still in the file:\n%v", hits)
	}
	evals = storetest.FilterOut(evals, func(e digitbot.Evaluation) bool { return e.GuildID == fixtureGuilds[1] })
	storetest.CheckScopes(t, db, evals, fixtureScopes())
	if len(evals) == 0 {
		t.Fatal("test setup: nothing left to compare")
	}
}

// findID looks for an id in every bucket name, key and value, both as text
// and as a record stores it (a snowflake is a varint there).
func findID(t testing.TB, db *DB, id string) []string {
	t.Helper()
	hits := findBytes(t, db, []byte(id))
	if enc := storedString(id); !bytes.Equal(enc[1:], []byte(id)) {
		hits = append(hits, findBytes(t, db, enc)...)
	}
	return hits
}

// TestStore_MigrateV1_OpenTwiceIsNoOp: a second open finds version 2 and
// changes no key or value.
func TestStore_MigrateV1_OpenTwiceIsNoOp(t *testing.T) {
	t.Parallel()
	path := copyFixture(t)
	now := func() time.Time { return fixtureNow }
	db, err := Open(path, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	first := dumpDB(t, db)
	db.Close()
	db, err = Open(path, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	second := dumpDB(t, db)
	if first != second {
		t.Fatal("opening a migrated file again changed it")
	}
	if !strings.Contains(first, "predictions/") || strings.Contains(first, "evaluations/") {
		t.Fatal("dump does not look like a v2 file")
	}
}

// dumpDB lists every bucket, key and value, in order.
func dumpDB(t *testing.T, db *DB) string {
	t.Helper()
	var sb strings.Builder
	var walk func(path string, b *bolt.Bucket) error
	walk = func(path string, b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if v == nil && b.Bucket(k) != nil {
				fmt.Fprintf(&sb, "%s/%x {\n", path, k)
				return walk(path+"/"+fmt.Sprintf("%x", k), b.Bucket(k))
			}
			fmt.Fprintf(&sb, "%s/%x = %x\n", path, k, v)
			return nil
		})
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error { return walk(string(name), b) })
	})
	if err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

// TestStore_MigrateV1_Backups: a migrated file backs up, plain and
// compacted, into copies that open read-only and hold the same records.
func TestStore_MigrateV1_Backups(t *testing.T) {
	t.Parallel()
	db, want := openMigrated(t)
	dir := t.TempDir()
	plain, compact := filepath.Join(dir, "plain.db"), filepath.Join(dir, "compact.db")
	if err := db.BackupFile(plain); err != nil {
		t.Fatal(err)
	}
	if err := db.CompactTo(compact); err != nil {
		t.Fatal(err)
	}
	orig := dumpDB(t, db)
	for _, path := range []string{plain, compact} {
		if n := checkBackup(t, path); n != len(want.Evaluations) {
			t.Fatalf("%s holds %d evaluations, want %d", path, n, len(want.Evaluations))
		}
		c, err := Open(path, Options{ReadOnly: true, Now: func() time.Time { return fixtureNow }})
		if err != nil {
			t.Fatal(err)
		}
		if dumpDB(t, c) != orig {
			t.Errorf("%s differs from the database", path)
		}
		var out bytes.Buffer
		if err := c.ExportCSV(bg, digitbot.Scope{}, &out); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(out.String(), "\n"); n != 1+len(want.Evaluations) {
			t.Errorf("%s exports %d lines", path, n)
		}
		c.Close()
	}
}

// TestStore_Schema_MigratesUnversionedFile: a version 0 file (the v1
// records without the meta bucket and the stats scopes) goes through both
// steps and ends like a migrated v1 file.
func TestStore_Schema_MigratesUnversionedFile(t *testing.T) {
	t.Parallel()
	path := copyFixture(t)
	want := readV1(t, path)
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketMeta); err != nil {
			return err
		}
		return tx.DeleteBucket(bucketScopes)
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, Options{ReadOnly: true})
	if msg := digitbot.ErrorMessage(err); !strings.Contains(msg, "older than") {
		t.Fatalf("read-only open of an old file: %v", err)
	}
	db, err := Open(path, Options{Now: func() time.Time { return fixtureNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	defer MustCheck(t, db)
	storetest.CheckScopes(t, db, rounded(want.Evaluations), fixtureScopes())
}

// TestStore_MigrateV1_FailureLeavesFileAtV1: a record the migration cannot
// read fails Open with an error naming it, and the file stays a v1 file
// (the migration is one transaction).
func TestStore_MigrateV1_FailureLeavesFileAtV1(t *testing.T) {
	t.Parallel()
	path := copyFixture(t)
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPredictions).Put([]byte("zz-broken"), []byte{predictionFormatV1, 200})
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, Options{})
	if err == nil || !strings.Contains(err.Error(), "zz-broken") {
		t.Fatalf("Open of a file with a broken record: %v", err)
	}
	b, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.View(func(tx *bolt.Tx) error {
		if v, _, err := readVersion(tx); v != 1 || err != nil {
			t.Errorf("version after a failed migration = %d (%v)", v, err)
		}
		if ev := tx.Bucket(bucketEvaluationsV1); ev == nil || ev.Stats().KeyN != 29 {
			t.Error("failed migration touched the evaluations")
		}
		if tx.Bucket(bucketModels) != nil {
			t.Error("failed migration left a v2 bucket")
		}
		return nil
	})
}
