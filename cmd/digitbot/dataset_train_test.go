package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/store"
)

// trainingPython is Debian's python with python3-torch, which models/train
// needs. Missing, the test is skipped on a developer's machine and fails
// in CI (CI=true), where .ci/run installs python3-torch.
func trainingPython(t *testing.T) string {
	t.Helper()
	const python = "/usr/bin/python3"
	err := exec.Command(python, "-c", "import torch, numpy").Run()
	if err == nil {
		return python
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s with torch and numpy is required in CI (apt-get install python3-torch python3-numpy): %v", python, err)
	}
	t.Skipf("%s with torch and numpy is not installed (apt-get install python3-torch python3-numpy): %v", python, err)
	return ""
}

// TestDataset_TrainsInModelsTrain exports a few hundred confirmed samples
// and has models/train/extra.py (what train.py --extra reads them with)
// load them, check the content hash, split them as Go does, and train a
// small model on them for one epoch.
func TestDataset_TrainsInModelsTrain(t *testing.T) {
	t.Parallel()
	python := trainingPython(t)
	path := filepath.Join(t.TempDir(), "digitbot.db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// 300 pictures: digit d is a bar at column 4+2d, with one pixel that
	// makes each picture distinct. A model can learn that in one epoch.
	const n = 300
	for i := range n {
		d := i % 10
		var px [digitbot.InputSide * digitbot.InputSide]uint8
		for y := 4; y < 24; y++ {
			px[y*digitbot.InputSide+4+2*d] = 255
			px[y*digitbot.InputSide+5+2*d] = 200
		}
		px[(i*13)%digitbot.InputSide] = uint8(1 + i/10)
		p := digitbot.Prediction{GuildID: "700000000000000001", UserID: "800000000000000001", Digit: (d + i%3) % 10, Confidence: 0.6, Input: px}
		if err := db.SavePrediction(ctx, &p); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Evaluate(ctx, p.ID, p.UserID, d); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	out := filepath.Join(t.TempDir(), "ds")
	if code, _, stderr := runStoreCmd("dataset", "--db", path, "-o", out); code != 0 {
		t.Fatalf("dataset: exit %d: %s", code, stderr)
	}
	sheet, set, err := readDataset(out)
	if err != nil {
		t.Fatal(err)
	}
	wantHeld := 0
	for _, px := range set.images {
		if heldOut(px[:]) {
			wantHeld++
		}
	}

	cmd := exec.Command(python, filepath.Join("..", "..", "models", "train", "extra.py"), "--train-check", out)
	raw, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("extra.py: %v\n%s", err, stderr)
	}
	var report struct {
		Sets []struct {
			Train         int    `json:"train"`
			HeldOut       int    `json:"held_out"`
			ContentSHA256 string `json:"content_sha256"`
		} `json:"sets"`
		TrainCheck struct {
			LossFirst float64 `json:"loss_first"`
			LossLast  float64 `json:"loss_last"`
			HeldOut   []struct {
				HeldOut        int `json:"held_out"`
				HeldOutCorrect int `json:"held_out_correct"`
			} `json:"held_out"`
		} `json:"train_check"`
	}
	// The report is the last line; extra.py says what it loaded before it.
	lines := bytes.Split(bytes.TrimSpace(raw), []byte("\n"))
	if err := json.Unmarshal(lines[len(lines)-1], &report); err != nil {
		t.Fatalf("extra.py printed %q: %v", raw, err)
	}
	if len(report.Sets) != 1 || len(report.TrainCheck.HeldOut) != 1 {
		t.Fatalf("report %s", raw)
	}
	s, tc := report.Sets[0], report.TrainCheck
	if s.ContentSHA256 != sheet.ContentSHA256 || s.Train+s.HeldOut != n {
		t.Errorf("python read %d+%d samples with hash %s; the export has %d with %s", s.Train, s.HeldOut, s.ContentSHA256, n, sheet.ContentSHA256)
	}
	if s.HeldOut != wantHeld || wantHeld == 0 || wantHeld == n {
		t.Errorf("python holds out %d samples, Go's rule (digitbot model --compare) %d of %d", s.HeldOut, wantHeld, n)
	}
	if !(tc.LossLast < tc.LossFirst) {
		t.Errorf("one epoch did not lower the loss: %.3f -> %.3f", tc.LossFirst, tc.LossLast)
	}
	if h := tc.HeldOut[0]; h.HeldOut != wantHeld || 2*h.HeldOutCorrect < h.HeldOut {
		t.Errorf("held out: %d of %d right after training (want at least half; chance is a tenth)", h.HeldOutCorrect, h.HeldOut)
	}
	t.Logf("extra.py: loss %.3f -> %.3f, held out %d/%d right", tc.LossFirst, tc.LossLast, tc.HeldOut[0].HeldOutCorrect, tc.HeldOut[0].HeldOut)
}
