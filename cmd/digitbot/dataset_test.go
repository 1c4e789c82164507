package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/store"
)

// Ids the dataset must never contain.
const (
	dsGuildOn     = "700000000000000001"
	dsGuildOff    = "700000000000000002"
	dsUserKept    = "800000000000000003"
	dsUserForgets = "800000000000000004"
)

// datasetPicture draws a distinct 28x28 picture for n.
func datasetPicture(n int) [digitbot.InputSide * digitbot.InputSide]uint8 {
	var px [digitbot.InputSide * digitbot.InputSide]uint8
	for y := 4; y < 24; y++ {
		px[y*digitbot.InputSide+4+n%20] = 255
	}
	px[(n*7)%784] = uint8(1 + n%200)
	return px
}

// makeDatasetDB writes, through the Store API as the bot does: in the
// server that contributes, 6 digits (2 of them corrections of wrong
// answers), one repeated picture, one picture confirmed as two different
// digits, a number 2 digits long and a number corrected to another
// length; a forgotten user's 3 digits; 4 digits in a server with learning
// off; 1 digit in a DM. It returns the database path.
func makeDatasetDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "digitbot.db")
	day := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	now := day
	db, err := store.Open(path, store.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	save := func(guild, user string, p digitbot.Prediction) digitbot.Prediction {
		t.Helper()
		p.GuildID, p.UserID, p.ChannelID, p.Confidence = guild, user, "900000000000000005", 0.8
		if err := db.SavePrediction(ctx, &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	digit := func(guild, user string, predicted, truth, picture int) {
		t.Helper()
		p := digitbot.Prediction{Digit: predicted, Input: datasetPicture(picture)}
		p.Probabilities[predicted] = 0.8
		p = save(guild, user, p)
		if _, err := db.Evaluate(ctx, p.ID, user, truth); err != nil {
			t.Fatal(err)
		}
	}
	number := func(read, truth string, pictures ...int) {
		t.Helper()
		p := digitbot.Prediction{Digit: -1, Number: read}
		for i, c := range read {
			d := digitbot.DigitReading{Digit: int(c - '0'), Confidence: 0.9, Input: datasetPicture(pictures[i])}
			d.Probabilities[d.Digit] = 0.9
			p.Digits = append(p.Digits, d)
		}
		p = save(dsGuildOn, dsUserKept, p)
		if _, err := db.EvaluateNumber(ctx, p.ID, dsUserKept, truth); err != nil {
			t.Fatal(err)
		}
	}
	for i, pt := range [][2]int{{0, 0}, {1, 1}, {2, 2}, {3, 3}, {1, 7}, {4, 9}} {
		digit(dsGuildOn, dsUserKept, pt[0], pt[1], i)
	}
	now = now.Add(24 * time.Hour)
	digit(dsGuildOn, dsUserKept, 0, 0, 0)  // the same picture and digit again
	digit(dsGuildOn, dsUserKept, 5, 5, 10) // confirmed as a 5 ...
	digit(dsGuildOn, dsUserKept, 5, 6, 10) // ... and as a 6: left out
	number("12", "18", 11, 12)             // two samples, one a correction
	number("44", "444", 13, 14)            // cut wrongly: no sample
	digit("", dsUserKept, 8, 8, 15)        // a DM
	for i := range 3 {
		digit(dsGuildOn, dsUserForgets, i, i, 20+i)
	}
	for i := range 4 {
		digit(dsGuildOff, dsUserKept, i, i, 30+i)
	}
	if err := db.SetGuildConfig(ctx, digitbot.GuildConfig{GuildID: dsGuildOff, Learning: digitbot.LearningOff}); err != nil {
		t.Fatal(err)
	}
	if err := db.ForgetUser(ctx, dsUserForgets); err != nil {
		t.Fatal(err)
	}
	return path
}

func readGz(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDataset_ExportsConfirmedSamplesOnly(t *testing.T) {
	t.Parallel()
	dbPath := makeDatasetDB(t)
	out := filepath.Join(t.TempDir(), "ds")
	code, _, stderr := runStoreCmd("dataset", "--db", dbPath, "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sheet Datasheet
	raw, err := os.ReadFile(filepath.Join(out, datasetSheet))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &sheet); err != nil {
		t.Fatal(err)
	}
	// 6 + 1 DM + 2 digits of "18" = 9 samples; the repeat, the conflicting
	// pair, the forgotten user's, the learning-off server's and the
	// number cut wrongly are not.
	wantDigits := [10]int{0: 1, 1: 2, 2: 1, 3: 1, 7: 1, 8: 2, 9: 1}
	if sheet.Samples != 9 || sheet.ByDigit != wantDigits {
		t.Fatalf("datasheet: %d samples by digit %v; want 9 by %v", sheet.Samples, sheet.ByDigit, wantDigits)
	}
	if sheet.Corrections != 3 || sheet.Confirmations != 6 {
		t.Errorf("corrections %d, confirmations %d; want 3 (1→7, 4→9, 2→8 in 12→18) and 6", sheet.Corrections, sheet.Confirmations)
	}
	if sheet.ByDay["2026-11-20"] != 6 || sheet.ByDay["2026-11-21"] != 3 || len(sheet.ByDay) != 2 {
		t.Errorf("by day %v, want 6 on 2026-11-20 and 3 on 2026-11-21", sheet.ByDay)
	}
	lo := sheet.LeftOut
	if lo.LearningOff != 4 || lo.SegmentationErrors != 1 || lo.Duplicates != 1 || lo.Conflicting != 2 {
		t.Errorf("left out %+v; want 4 learning off, 1 segmentation error, 1 duplicate, 2 conflicting", lo)
	}

	// The idx files, the CSV and the PNGs agree, and the content hash is
	// the sha256 of the two uncompressed idx files.
	images := readGz(t, filepath.Join(out, datasetImagesIdx))
	labels := readGz(t, filepath.Join(out, datasetLabelsIdx))
	if binary.BigEndian.Uint32(images) != 0x803 || binary.BigEndian.Uint32(images[4:]) != 9 || len(images) != 16+9*784 {
		t.Fatalf("images idx header %x, %d bytes", images[:16], len(images))
	}
	if binary.BigEndian.Uint32(labels) != 0x801 || len(labels) != 8+9 {
		t.Fatalf("labels idx header %x, %d bytes", labels[:8], len(labels))
	}
	sum := sha256.Sum256(append(append([]byte(nil), images...), labels...))
	if hex.EncodeToString(sum[:]) != sheet.ContentSHA256 {
		t.Errorf("content_sha256 %s is not the sha256 of the idx files", sheet.ContentSHA256)
	}
	f, err := os.Open(filepath.Join(out, datasetLabelsCSV))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 10 || strings.Join(rows[0], ",") != "file,label,sha256,corrected" {
		t.Fatalf("labels.csv: %d rows, header %v, err %v", len(rows), rows[0], err)
	}
	for i, row := range rows[1:] {
		px := images[16+i*784 : 16+(i+1)*784]
		if strconv.Itoa(int(labels[8+i])) != row[1] {
			t.Errorf("row %d: csv label %s, idx label %d", i, row[1], labels[8+i])
		}
		if s := sha256.Sum256(px); hex.EncodeToString(s[:]) != row[2] {
			t.Errorf("row %d: csv sha256 is not the idx picture's", i)
		}
		pf, err := os.Open(filepath.Join(out, row[0]))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(pf)
		pf.Close()
		if err != nil {
			t.Fatal(err)
		}
		g, ok := img.(*image.Gray)
		if !ok || !bytes.Equal(g.Pix, px) {
			t.Errorf("row %d: %s is not the idx picture", i, row[0])
		}
	}

	// No id of anyone anywhere in the dataset.
	err = filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, ".gz") {
			b = readGz(t, path)
		}
		for _, id := range []string{dsGuildOn, dsGuildOff, dsUserKept, dsUserForgets, "900000000000000005"} {
			if bytes.Contains(b, []byte(id)) {
				t.Errorf("%s contains the id %s", path, id)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDataset_DeterministicAndFiltered(t *testing.T) {
	t.Parallel()
	dbPath := makeDatasetDB(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, out := range []string{a, b} {
		if code, _, stderr := runStoreCmd("dataset", "--db", dbPath, "-o", out); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	for _, name := range []string{datasetImagesIdx, datasetLabelsIdx, datasetLabelsCSV, datasetSheet} {
		x, _ := os.ReadFile(filepath.Join(a, name))
		y, _ := os.ReadFile(filepath.Join(b, name))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two exports of the same file", name)
		}
	}

	// --guild of the server that turned learning off: nothing to export.
	off := filepath.Join(dir, "off")
	if code, _, stderr := runStoreCmd("dataset", "--db", dbPath, "-o", off, "--guild", dsGuildOff); code != 1 || !strings.Contains(stderr, "4 in servers with learning off") {
		t.Errorf("--guild of a learning-off server: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(off); err == nil {
		t.Errorf("a failed export left %s behind", off)
	}
	// --since the second day, one server: the DM is left out.
	since := filepath.Join(dir, "since")
	if code, _, stderr := runStoreCmd("dataset", "--db", dbPath, "-o", since, "--guild", dsGuildOn, "--since", "2026-11-21"); code != 0 {
		t.Fatalf("--since: exit %d: %s", code, stderr)
	}
	var sheet Datasheet
	raw, _ := os.ReadFile(filepath.Join(since, datasetSheet))
	if err := json.Unmarshal(raw, &sheet); err != nil {
		t.Fatal(err)
	}
	// The repeated 0 (its first evaluation is before --since) and the
	// two digits of 18.
	if sheet.Samples != 3 || sheet.Scope != "one server" || sheet.Since != "2026-11-21T00:00:00Z" {
		t.Errorf("--guild --since: %d samples, scope %q, since %q; want 3", sheet.Samples, sheet.Scope, sheet.Since)
	}
}

func TestDataset_RefusesBadInvocations(t *testing.T) {
	t.Parallel()
	dbPath := makeDatasetDB(t)
	full := t.TempDir()
	keep := filepath.Join(full, "keep.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"dataset", "-o", "x"}, 2, "--db"},
		{[]string{"dataset", "--db", dbPath}, 2, "-o"},
		{[]string{"dataset", "--db", dbPath, "-o", "x", "--since", "yesterday"}, 2, "not a date"},
		{[]string{"dataset", "--db", dbPath, "-o", "x", "--guild", "general"}, 2, "not a server id"},
		{[]string{"dataset", "--db", dbPath, "-o", full}, 1, "not empty"},
		{[]string{"dataset", "--db", filepath.Join(full, "none.db"), "-o", filepath.Join(full, "new")}, 1, "does not exist"},
	} {
		code, _, stderr := runStoreCmd(tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %q; want %d mentioning %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "mine" {
		t.Errorf("a refused export touched the files of the output directory: %q, %v", b, err)
	}
}
