package main

import (
	"compress/gzip"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/digitbot/digitbot/models"
)

func TestCompareVerdict_BetterOnlyWhenBetterOnBoth(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		extras          bool
		mnistOld        int
		mnistNew        int
		total, old, new int
		want            string
	}{
		{true, 9900, 9901, 100, 80, 95, "better on both"},
		{true, 9900, 9901, 100, 95, 95, "NOT on your confirmed samples: not better on both"},
		{true, 9900, 9899, 100, 80, 95, "NOT on MNIST: not better on both"},
		{true, 9900, 9900, 100, 80, 95, "SAME on MNIST (9900 right either way): not better on both, worse on neither"},
		{true, 9900, 9899, 100, 95, 80, "better on neither"},
		{true, 9900, 9900, 100, 95, 95, "better on neither"},
		{true, 9900, 9901, 0, 0, 0, "nothing to compare"},
		{false, 9900, 9901, 0, 0, 0, "not shown to be better on your members' writing"},
		{false, 9900, 9900, 0, 0, 0, "NOT better on MNIST"},
	} {
		if got := compareVerdict(tc.extras, tc.mnistOld, tc.mnistNew, tc.total, tc.old, tc.new); !strings.Contains(got, tc.want) {
			t.Errorf("%+v: %q, want %q", tc, got, tc.want)
		}
	}
}

// TestMcnemarExactP checks the two-sided exact test against values computed
// independently (Python: 2 * sum(comb(n, i) for i <= min) / 2**n, capped at 1).
func TestMcnemarExactP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		gained, lost int
		want         float64
	}{
		{0, 0, 1},
		{0, 1, 1},
		{5, 5, 1},
		{10, 0, 0.001953125},
		{12, 9, 0.6636238098144531},
		{12, 30, 0.007915897334896727},
		{400, 350, 0.07350777405843545},
	} {
		if got := mcnemarExactP(tc.gained, tc.lost); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("mcnemarExactP(%d, %d) = %.12g, want %.12g", tc.gained, tc.lost, got, tc.want)
		}
	}
}

func TestPairedChange_CountsOnlyDisagreements(t *testing.T) {
	t.Parallel()
	running := score{RightAt: []bool{true, true, false, false, true}}
	candidate := score{RightAt: []bool{true, false, true, false, true}}
	if gained, lost := pairedChange(running, candidate); gained != 1 || lost != 1 {
		t.Errorf("gained %d lost %d, want 1 and 1", gained, lost)
	}
	if got := pairedSentence("set", 10, 0); !strings.Contains(got, "p = 0.002") || !strings.Contains(got, "unlikely to be chance") {
		t.Errorf("%q", got)
	}
	if got := pairedSentence("set", 12, 9); !strings.Contains(got, "p = 0.66") || !strings.Contains(got, "could well be chance") {
		t.Errorf("%q", got)
	}
}

// writeMNISTSubset writes the first n MNIST test digits as a t10k idx pair.
func writeMNISTSubset(t *testing.T, n int) string {
	t.Helper()
	full, err := mnistTest("")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	images := binary.BigEndian.AppendUint32(nil, 0x803)
	images = binary.BigEndian.AppendUint32(images, uint32(n))
	images = binary.BigEndian.AppendUint32(images, 28)
	images = binary.BigEndian.AppendUint32(images, 28)
	labels := binary.BigEndian.AppendUint32(nil, 0x801)
	labels = binary.BigEndian.AppendUint32(labels, uint32(n))
	for i := range n {
		images = append(images, full.images[i][:]...)
		labels = append(labels, byte(full.labels[i]))
	}
	for name, data := range map[string][]byte{"t10k-images-idx3-ubyte.gz": images, "t10k-labels-idx1-ubyte.gz": labels} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		zw := gzip.NewWriter(f)
		zw.Write(data)
		zw.Close()
		f.Close()
	}
	return dir
}

// TestModel_Compare_SameModelIsNotBetter compares the embedded model with
// a copy of itself on 50 MNIST digits and an export neither trained on:
// the scores are equal, so the verdict is "better on neither" (at any
// count: 50 keeps two classifications of each under -race short).
func TestModel_Compare_SameModelIsNotBetter(t *testing.T) {
	t.Setenv("DIGITBOT_MODEL_PATH", "")
	mnist := writeMNISTSubset(t, 50)
	ds := filepath.Join(t.TempDir(), "ds")
	if code, _, stderr := runStoreCmd("dataset", "--db", makeDatasetDB(t), "-o", ds); code != 0 {
		t.Fatalf("dataset: %s", stderr)
	}
	copyPath := writeExternalModel(t, models.ONNX(), nil)
	code, stdout, stderr := runStoreCmd("model", "--compare", copyPath, "--extra", ds, "--mnist", mnist)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"running: built into the binary", "MNIST test  ", "50", "ds  ", "all 9 samples: neither model trained on this export",
		"+0.00 points", "verdict: the new model is better on neither",
		"MNIST test: the new model is right on 0 the running one gets wrong and wrong on 0 it gets right; exact McNemar p = 1, a difference that could well be chance"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if code, _, stderr := runStoreCmd("model", "--compare", copyPath, "--extra", filepath.Join(t.TempDir(), "none"), "--mnist", mnist); code != 1 || !strings.Contains(stderr, "datasheet.json") {
		t.Errorf("a missing dataset: exit %d, %q", code, stderr)
	}
	if code, _, _ := runStoreCmd("model", "--extra", ds); code != 2 {
		t.Errorf("--extra without --compare: exit %d, want 2", code)
	}
}
