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
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/store"
)

// DatasetFormat names the layout runDataset writes; models/train/extra.py
// checks it.
const DatasetFormat = "digitbot-dataset/1"

// The files of a dataset directory.
const (
	datasetImagesIdx = "images-idx3-ubyte.gz"
	datasetLabelsIdx = "labels-idx1-ubyte.gz"
	datasetLabelsCSV = "labels.csv"
	datasetSheet     = "datasheet.json"
	datasetPNGDir    = "images"
)

// Datasheet describes an exported dataset. It holds counts only: no id of
// a user, a server or a message, and no name.
type Datasheet struct {
	Format string `json:"format"`
	// ContentSHA256 is the sha256 of the uncompressed images idx file
	// followed by the uncompressed labels idx file: the dataset's identity,
	// which a model card trained on it records.
	ContentSHA256 string         `json:"content_sha256"`
	Samples       int            `json:"samples"`
	ByDigit       [10]int        `json:"by_digit"`
	ByDay         map[string]int `json:"by_day"` // UTC day of the evaluation
	// Corrections counts samples whose poster corrected a wrong answer;
	// Confirmations those where the model had been right.
	Corrections   int    `json:"corrections"`
	Confirmations int    `json:"confirmations"`
	Scope         string `json:"scope"`           // "every server and DMs" or "one server"
	Since         string `json:"since,omitempty"` // the --since filter
	// EvaluationsRead counts the evaluations the filter selected; LeftOut
	// why some gave no sample.
	EvaluationsRead int     `json:"evaluations_read"`
	LeftOut         LeftOut `json:"left_out"`
}

// LeftOut counts what was read but not exported, by reason.
type LeftOut struct {
	LearningOff        int `json:"learning_off"`        // evaluations in servers that turned learning off
	SegmentationErrors int `json:"segmentation_errors"` // numbers corrected to another length
	Blank              int `json:"blank"`               // digits stored without a picture
	Duplicates         int `json:"duplicates"`          // the same picture with the same digit again
	Conflicting        int `json:"conflicting"`         // samples of a picture confirmed as different digits
}

// datasetSample is one deduplicated sample.
type datasetSample struct {
	store.Sample
	sum       [32]byte // sha256 of the 784 pixels
	corrected bool
}

// runDataset writes the confirmed evaluations of a database as training
// data:
//
//	digitbot dataset --db FILE -o DIR [--guild ID] [--since DATE]
func runDataset(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("dataset", flag.ContinueOnError)
	fset.SetOutput(stderr)
	dbPath := fset.String("db", "", "database `file` to read (opened read-only)")
	out := fset.String("o", "", "output `directory` (must not exist, or be empty)")
	guild := fset.String("guild", "", "only this server's evaluations (server `ID`)")
	since := fset.String("since", "", "only evaluations from this `DATE` on (2006-01-02, UTC, or RFC 3339)")
	timeout := fset.Duration("timeout", 2*time.Second, "how long to wait for a database locked by another process")
	fset.Usage = func() {
		fmt.Fprint(fset.Output(), "usage: digitbot dataset --db FILE -o DIR [--guild ID] [--since DATE]\n\n"+
			"Writes the confirmed samples of a database (each 28x28 picture the model saw, with the digit its\n"+
			"poster confirmed) as PNGs, labels.csv, MNIST idx files and a datasheet, for models/train --extra.\n"+
			"Servers that turned learning off (/config learning) are left out. No user or server ids are written.\n\nflags:\n")
		fset.PrintDefaults()
	}
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	var filter store.SampleFilter
	switch {
	case fset.NArg() > 0:
		return usagef("unexpected arguments: %v", fset.Args())
	case *dbPath == "":
		return usagef("missing --db FILE (the database to read)")
	case *out == "":
		return usagef("missing -o DIR (where the dataset goes)")
	case *guild != "" && !digitbot.ValidSnowflake(*guild):
		return usagef("--guild %q is not a server id (a Discord id is a number)", *guild)
	}
	filter.GuildID = *guild
	if *since != "" {
		t, err := parseSince(*since)
		if err != nil {
			return usagef("--since %q: %v", *since, err)
		}
		filter.Since = t
	}
	if err := checkEmptyDir(*out); err != nil {
		return err
	}
	db, err := openForCLI(*dbPath, *timeout)
	if err != nil {
		return err
	}
	defer db.Close()

	sheet := Datasheet{Format: DatasetFormat, ByDay: map[string]int{}, Scope: "every server and DMs"}
	if filter.GuildID != "" {
		sheet.Scope = "one server"
	}
	if !filter.Since.IsZero() {
		sheet.Since = filter.Since.UTC().Format(time.RFC3339)
	}
	samples, err := collectDataset(ctx, db, filter, &sheet)
	if err != nil {
		return err
	}
	if len(samples) == 0 {
		return fmt.Errorf("no confirmed samples to export (%d evaluations read, %d in servers with learning off, %d numbers cut wrongly)",
			sheet.EvaluationsRead, sheet.LeftOut.LearningOff, sheet.LeftOut.SegmentationErrors)
	}
	if err := writeDataset(*out, samples, &sheet); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s: %d samples (%d corrections of wrong answers), content sha256 %s\n",
		*out, sheet.Samples, sheet.Corrections, sheet.ContentSHA256)
	return nil
}

func parseSince(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errors.New("not a date like 2026-11-26 or 2026-11-26T12:00:00Z")
	}
	return t, nil
}

// checkEmptyDir refuses an output directory that holds anything: a
// dataset is written whole or not at all, never over another.
func checkEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("output directory %s: %w", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("output directory %s is not empty: choose a new one (a dataset is never written over another)", dir)
	}
	return nil
}

// collectDataset reads the samples, deduplicates them by content and
// fills the sheet's counts. The samples come back sorted by the sha256 of
// their pixels, so that the files do not depend on the order of the
// evaluations.
func collectDataset(ctx context.Context, db *store.DB, filter store.SampleFilter, sheet *Datasheet) ([]datasetSample, error) {
	byContent := map[[32]byte]*datasetSample{}
	conflicting := map[[32]byte]int{} // pictures seen with more than one digit: how many samples
	rep, err := db.Samples(ctx, filter, func(s store.Sample) error {
		sum := sha256.Sum256(s.Input[:])
		if n, ok := conflicting[sum]; ok {
			conflicting[sum] = n + 1
			return nil
		}
		prev, ok := byContent[sum]
		switch {
		case !ok:
			byContent[sum] = &datasetSample{Sample: s, sum: sum, corrected: s.Predicted != s.Label}
		case prev.Label == s.Label:
			sheet.LeftOut.Duplicates++
			prev.corrected = prev.corrected || s.Predicted != s.Label
		default:
			conflicting[sum] = 2 // the one kept so far and this one
			delete(byContent, sum)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sheet.EvaluationsRead = rep.Evaluations
	sheet.LeftOut.LearningOff = rep.LearningOff
	sheet.LeftOut.SegmentationErrors = rep.SegmentationErrors
	sheet.LeftOut.Blank = rep.Blank
	for _, n := range conflicting {
		sheet.LeftOut.Conflicting += n
	}
	out := make([]datasetSample, 0, len(byContent))
	for _, s := range byContent {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].sum[:], out[j].sum[:]) < 0 })
	for _, s := range out {
		sheet.Samples++
		sheet.ByDigit[s.Label]++
		sheet.ByDay[s.EvaluatedAt.UTC().Format(time.DateOnly)]++
		if s.corrected {
			sheet.Corrections++
		} else {
			sheet.Confirmations++
		}
	}
	return out, nil
}

// writeDataset writes the files into a new directory next to dir and
// renames it into place, so a failure leaves no half dataset.
func writeDataset(dir string, samples []datasetSample, sheet *Datasheet) (err error) {
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".partial-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Mkdir(filepath.Join(tmp, datasetPNGDir), 0o755); err != nil {
		return err
	}
	n := len(samples)
	images := binary.BigEndian.AppendUint32(nil, 0x00000803) // uint8, 3 dimensions
	images = binary.BigEndian.AppendUint32(images, uint32(n))
	images = binary.BigEndian.AppendUint32(images, digitbot.InputSide)
	images = binary.BigEndian.AppendUint32(images, digitbot.InputSide)
	labels := binary.BigEndian.AppendUint32(nil, 0x00000801) // uint8, 1 dimension
	labels = binary.BigEndian.AppendUint32(labels, uint32(n))
	var csvBuf bytes.Buffer
	cw := csv.NewWriter(&csvBuf)
	cw.Write([]string{"file", "label", "sha256", "corrected"})
	for _, s := range samples {
		images = append(images, s.Input[:]...)
		labels = append(labels, byte(s.Label))
		hexSum := hex.EncodeToString(s.sum[:])
		name := datasetPNGDir + "/" + hexSum[:16] + ".png"
		if err := writePNG(filepath.Join(tmp, name), &s.Input); err != nil {
			return err
		}
		cw.Write([]string{name, strconv.Itoa(s.Label), hexSum, strconv.FormatBool(s.corrected)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	h := sha256.New()
	h.Write(images)
	h.Write(labels)
	sheet.ContentSHA256 = hex.EncodeToString(h.Sum(nil))
	sheetJSON, err := json.MarshalIndent(sheet, "", "  ")
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
		gz   bool
	}{
		{datasetImagesIdx, images, true},
		{datasetLabelsIdx, labels, true},
		{datasetLabelsCSV, csvBuf.Bytes(), false},
		{datasetSheet, append(sheetJSON, '\n'), false},
	} {
		if err := writeFileSynced(filepath.Join(tmp, f.name), f.data, f.gz); err != nil {
			return err
		}
	}
	// An empty directory in the way (checked by checkEmptyDir) goes first.
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("output directory %s: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("moving the dataset into %s: %w", dir, err)
	}
	return nil
}

func writePNG(path string, px *[digitbot.InputSide * digitbot.InputSide]uint8) error {
	img := image.NewGray(image.Rect(0, 0, digitbot.InputSide, digitbot.InputSide))
	copy(img.Pix, px[:])
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func writeFileSynced(path string, data []byte, gz bool) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	var w io.Writer = f
	var zw *gzip.Writer
	if gz {
		// No name or time in the header: the same samples give the same bytes.
		zw = gzip.NewWriter(f)
		w = zw
	}
	_, err = w.Write(data)
	if zw != nil && err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
