package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/classifier"
	"github.com/digitbot/digitbot/models"
)

// runPredict classifies local image files with the bot's pipeline:
//
//	digitbot predict [--json] FILE...
//
// Every file gets exactly one line on stdout, in the order given: the
// prediction, or the error for that file (a missing file or a bad image is
// a line, not a failure). Files are classified concurrently.
func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("predict", flag.ContinueOnError)
	fset.SetOutput(stderr)
	asJSON := fset.Bool("json", false, "print one JSON object per file")
	fset.Usage = func() {
		fmt.Fprint(fset.Output(), "usage: digitbot predict [--json] FILE...\n\n"+
			"Classifies each image file (PNG, JPEG, GIF, BMP or WebP) and prints one line per file, in order.\n\nflags:\n")
		fset.PrintDefaults()
	}
	// Flags may come before or between the files ("--" ends them).
	var files []string
	for {
		if err := parseFlags(fset, args); err != nil {
			return err
		}
		rest := fset.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			files = append(files, rest...)
			break
		}
		files = append(files, rest[0])
		args = rest[1:]
	}
	if len(files) == 0 {
		return usagef("no image files given (usage: digitbot predict [--json] FILE...)")
	}

	card, err := models.Card()
	if err != nil {
		return err
	}
	c, err := classifier.New(classifier.Options{ONNX: models.ONNX(), Card: card})
	if err != nil {
		return err
	}
	defer c.Close()
	// Stop classifying the rest if printing fails or the user interrupts.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Classify concurrently, print in input order: results[i] is filled by
	// a worker and printed once all before it are printed. The semaphore
	// bounds how many decoded images are in memory at once.
	type result struct {
		p   digitbot.Prediction
		err error
	}
	results := make([]chan result, len(files))
	for i := range results {
		results[i] = make(chan result, 1)
	}
	sem := make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	go func() {
		for i, name := range files {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				for _, r := range results[i:] {
					r <- result{err: ctx.Err()}
				}
				return
			}
			go func() {
				defer func() { <-sem }()
				p, err := classifyFile(ctx, c, name)
				results[i] <- result{p, err}
			}()
		}
	}()
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for i, name := range files {
		r := <-results[i]
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var err error
		switch {
		case *asJSON && r.err != nil:
			err = enc.Encode(predictError{File: name, Error: digitbot.ErrorMessage(r.err), Code: digitbot.ErrorCode(r.err)})
		case *asJSON:
			err = enc.Encode(newPredictLine(name, r.p))
		case r.err != nil:
			_, err = fmt.Fprintf(stdout, "%s: error: %s\n", name, digitbot.ErrorMessage(r.err))
		default:
			_, err = fmt.Fprintf(stdout, "%s: %s\n", name, describe(r.p))
		}
		if err != nil {
			return fmt.Errorf("writing the results: %w", err)
		}
	}
	return nil
}

// predictLine and predictError are the two shapes of a --json line; the
// field order is the one the README documents for `digitbot predict --json`.
// A one-digit reading keeps the digit and its probabilities at the top
// level; a number has only its confidence there (the product of its
// digits') and the rest per digit.
type predictLine struct {
	File          string         `json:"file"`
	Number        string         `json:"number"`
	Digit         *int           `json:"digit,omitempty"`
	Confidence    float64        `json:"confidence"`
	Probabilities *[10]float64   `json:"probabilities,omitempty"`
	Digits        []predictDigit `json:"digits"`
}

type predictDigit struct {
	Digit         int         `json:"digit"`
	Confidence    float64     `json:"confidence"`
	Probabilities [10]float64 `json:"probabilities"`
	Box           [4]int      `json:"box"` // x, y, width, height in the picture's pixels
}

func newPredictLine(file string, p digitbot.Prediction) predictLine {
	l := predictLine{File: file, Number: p.Number, Confidence: p.Confidence}
	if !p.IsNumber() {
		digit, probs := p.Digit, p.Probabilities
		l.Digit, l.Probabilities = &digit, &probs
	}
	for _, d := range p.Digits {
		l.Digits = append(l.Digits, predictDigit{Digit: d.Digit, Confidence: d.Confidence, Probabilities: d.Probabilities, Box: d.Box})
	}
	return l
}

type predictError struct {
	File  string `json:"file"`
	Error string `json:"error"`
	Code  string `json:"code"`
}

// classifyFile reads at most the classifier's byte cap (plus one byte, to
// tell a file at the cap from a larger one) and classifies it.
func classifyFile(ctx context.Context, c *classifier.Classifier, name string) (digitbot.Prediction, error) {
	// Only regular files: opening a FIFO blocks until something writes to
	// it, and a device may never end; either would hang the command past
	// Ctrl-C. Checked before opening, and again on what was opened.
	before, err := os.Stat(name)
	if err != nil {
		return digitbot.Prediction{}, unreadable(err)
	}
	if !before.Mode().IsRegular() {
		return digitbot.Prediction{}, notRegular(before)
	}
	f, err := os.Open(name)
	if err != nil {
		return digitbot.Prediction{}, unreadable(err)
	}
	defer f.Close()
	if after, err := f.Stat(); err != nil {
		return digitbot.Prediction{}, unreadable(err)
	} else if !after.Mode().IsRegular() || !os.SameFile(before, after) {
		return digitbot.Prediction{}, notRegular(after)
	}
	data, err := io.ReadAll(io.LimitReader(ctxReader{ctx, f}, classifier.DefaultMaxBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return digitbot.Prediction{}, digitbot.WrapError(digitbot.EUNAVAILABLE, "Cancelled.", err)
		}
		return digitbot.Prediction{}, unreadable(err)
	}
	if len(data) > classifier.DefaultMaxBytes {
		size := "more than 10 MiB"
		if st, err := f.Stat(); err == nil {
			size = fmt.Sprintf("%.1f MiB", float64(st.Size())/(1<<20))
		}
		return digitbot.Prediction{}, digitbot.Errorf(digitbot.ETOOLARGE,
			"The file is too large (%s); the limit is 10 MiB.", size)
	}
	return c.Classify(ctx, data)
}

// notRegular refuses what is not a regular file.
func notRegular(st fs.FileInfo) error {
	kind := "not a regular file"
	switch m := st.Mode(); {
	case m.IsDir():
		kind = "a directory"
	case m&fs.ModeNamedPipe != 0:
		kind = "a named pipe (FIFO)"
	case m&fs.ModeDevice != 0:
		kind = "a device"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	}
	return digitbot.Errorf(digitbot.EINVALIDIMAGE, "The file could not be read: it is %s, not a regular file.", kind)
}

// ctxReader stops reading once ctx ends, so Ctrl-C interrupts a slow read.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// unreadable turns a file system error into the invalid_image line the
// CLI contract asks for, with the reason in words.
func unreadable(err error) error {
	reason := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		reason = pe.Err.Error()
	}
	return digitbot.WrapError(digitbot.EINVALIDIMAGE, fmt.Sprintf("The file could not be read (%s).", reason), err)
}

// describe is the human line: "3 (97.8%) — next: 8 (1.2%), 5 (0.4%)" for
// a digit, "2026 (91.2%) — digits: 2 (99.1%), 0 (98.0%), 2 (97.5%), 6
// (96.4%)" for a number.
func describe(p digitbot.Prediction) string {
	var b strings.Builder
	if p.IsNumber() {
		fmt.Fprintf(&b, "%s (%.1f%%) — digits:", p.Number, 100*p.Confidence)
		for i, d := range p.Digits {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, " %d (%.1f%%)", d.Digit, 100*d.Confidence)
		}
		if p.Confidence < digitbot.DefaultThreshold {
			b.WriteString(" (unsure)")
		}
		return b.String()
	}
	ranked := p.Ranked()
	fmt.Fprintf(&b, "%d (%.1f%%) — next: %d (%.1f%%), %d (%.1f%%)",
		ranked[0].Digit, 100*ranked[0].Probability,
		ranked[1].Digit, 100*ranked[1].Probability,
		ranked[2].Digit, 100*ranked[2].Probability)
	if p.Confidence < digitbot.DefaultThreshold {
		b.WriteString(" (unsure)")
	}
	return b.String()
}
