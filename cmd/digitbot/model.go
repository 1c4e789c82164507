package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/classifier"
	"github.com/digitbot/digitbot/models"
)

// runModel prints the embedded model's card:
//
//	digitbot model [--json]
//
// Before printing it loads the model the way the bot does (sha256 check,
// self-test), so the card shown is one this binary can actually run.
func runModel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("model", flag.ContinueOnError)
	fset.SetOutput(stderr)
	asJSON := fset.Bool("json", false, "print the model card as JSON (models/digits.json)")
	fset.Usage = func() {
		fmt.Fprint(fset.Output(), "usage: digitbot model [--json]\n\nPrints the card of the embedded model.\n\nflags:\n")
		fset.PrintDefaults()
	}
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	if fset.NArg() > 0 {
		return usagef("unexpected arguments: %v", fset.Args())
	}
	card, err := models.Card()
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(card)
	}
	selfTest := "passed"
	if c, err := classifier.New(classifier.Options{ONNX: models.ONNX(), Card: card, Workers: 1}); err != nil {
		selfTest = "FAILED: " + err.Error()
	} else {
		c.Close()
	}
	return printCard(stdout, card, selfTest)
}

func printCard(w io.Writer, card digitbot.ModelCard, selfTest string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n\n", card.Name, card.Description)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "layer\ttype\toutput shape\t%9s\n", "params")
	for _, l := range card.Layers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%9s\n", l.Name, l.Type, shape(l.OutputShape), thousands(l.Params))
	}
	fmt.Fprintf(tw, "total\t\t\t%9s\n", thousands(card.TotalParams))
	tw.Flush()
	b.WriteString("\n")
	in := card.Input
	fmt.Fprintf(&b, "input:          float32 %s, (pixel/255 - %g) / %g\n", shape(in.Shape), in.Mean, in.Std)
	if in.Description != "" {
		fmt.Fprintf(&b, "                %s\n", in.Description)
	}
	fmt.Fprintf(&b, "test accuracy:  %.2f%% (%d of %d MNIST test digits, measured at export)\n", 100*card.TestAccuracy, card.TestCorrect, card.TestTotal)
	switch card.Classes {
	case 0, 10:
		b.WriteString("classes:        10 (digits only: every picture gets a digit)\n")
	default:
		fmt.Fprintf(&b, "classes:        %d (digits, and class %d: not a digit)\n", card.Classes, digitbot.NotDigitClass)
	}
	if card.Temperature > 0 {
		fmt.Fprintf(&b, "temperature:    %g (logits are divided by it before the softmax)\n", card.Temperature)
	} else {
		b.WriteString("temperature:    none (uncalibrated softmax)\n")
	}
	if c := card.Calibration; c != nil {
		fmt.Fprintf(&b, "calibration:    expected calibration error %.2f%% before the temperature, %.2f%% after (%s, %d samples)\n",
			100*c.ECEBefore, 100*c.ECEAfter, c.Split, c.Samples)
	}
	if r := card.Rejection; r != nil {
		fmt.Fprintf(&b, "rejection:      %.1f%% of %d non-digits refused, %.2f%% of real digits refused (%s)\n",
			100*r.NegativesRefused, r.NegativesTotal, 100*r.DigitsRefused, r.Split)
	}
	fmt.Fprintf(&b, "onnx:           opset %d, sha256 %s\n", card.Opset, card.ONNXSHA256)
	fmt.Fprintf(&b, "runtime:        %s\n", classifier.Runtime())
	fmt.Fprintf(&b, "self-test:      %s\n", selfTest)
	t := card.Training
	fmt.Fprintf(&b, "training:       %d epochs in %.0f s, seed %d, %s, %s\n", t.Epochs, t.Seconds, t.Seed, t.Framework, t.Date)
	fmt.Fprintf(&b, "  command:      %s\n", t.Command)
	fmt.Fprintf(&b, "  augmentation: %s\n", t.Augmentation)
	_, err := io.WriteString(w, b.String())
	return err
}

func shape(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, "x")
}

// thousands formats 218490 as 218,490.
func thousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// modelFiles returns the model to run and its card: the embedded one when
// path is empty, else the file and the card beside it (models.LoadFile).
func modelFiles(path string) ([]byte, digitbot.ModelCard, error) {
	if path == "" {
		card, err := models.Card()
		return models.ONNX(), card, err
	}
	return models.LoadFile(path)
}

// modelSource names where a model comes from, for messages and logs.
func modelSource(path string) string {
	if path == "" {
		return "built into the binary"
	}
	return path
}
