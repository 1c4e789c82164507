package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
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
	current := fset.String("current", os.Getenv("DIGITBOT_MODEL_PATH"), "the running model's `file` (default: $DIGITBOT_MODEL_PATH, else the embedded model)")
	newModel := fset.String("compare", "", "score the running model and this new model `file` (.onnx, card .json beside it) side by side")
	var extras []string
	fset.Func("extra", "with --compare: also score both on the confirmed samples of this `dir` (a digitbot dataset export; repeatable)", func(v string) error {
		extras = append(extras, v)
		return nil
	})
	mnistDir := fset.String("mnist", "", "with --compare: `folder` of the MNIST test idx files (default: the GoMNIST Go module)")
	fset.Usage = func() {
		fmt.Fprint(fset.Output(), "usage: digitbot model [--json] [--current FILE]\n"+
			"       digitbot model --compare NEW.onnx [--extra DIR]... [--current FILE]\n\n"+
			"Prints the card of the running model, or compares a new model with it on the MNIST test set\n"+
			"and on confirmed samples neither model trained on, and says whether the new one is better on both.\n\nflags:\n")
		fset.PrintDefaults()
	}
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	if fset.NArg() > 0 {
		return usagef("unexpected arguments: %v", fset.Args())
	}
	if *newModel != "" {
		return compareModels(ctx, stdout, *current, *newModel, extras, *mnistDir)
	}
	if len(extras) > 0 || *mnistDir != "" {
		return usagef("--extra and --mnist go with --compare NEW.onnx")
	}
	onnxBytes, card, err := modelFiles(*current)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(card)
	}
	selfTest := "passed"
	if c, err := classifier.New(classifier.Options{ONNX: onnxBytes, Card: card, Workers: 1}); err != nil {
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
	if card.ShiftAverageBelow > 0 {
		fmt.Fprintf(&b, "reading:        one pass; a digit whose top probability is below %g is read by the mean over its input and the input moved one pixel each way\n", card.ShiftAverageBelow)
	} else {
		b.WriteString("reading:        one pass per digit\n")
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
	if r := t.Reexport; r != nil {
		fmt.Fprintf(&b, "  re-exported:  %s (%s), from the model with sha256 %s: same weights, operating point and measurements again\n", r.Command, r.Date, r.FromONNXSHA256)
	}
	for i, d := range card.TrainingData {
		label := "data:"
		if i > 0 {
			label = ""
		}
		if d.DatasheetSHA256 == "" {
			fmt.Fprintf(&b, "%-15s %s: %s trained on, %s held out, %s test (%s)\n", label, d.Name, thousands(d.Train), thousands(d.HeldOut), thousands(d.Test), d.Source)
			continue
		}
		fmt.Fprintf(&b, "%-15s %s %s: %s samples (%s corrections), %s trained on, %s held out (%s right); datasheet sha256 %s\n",
			label, d.Name, d.Source, thousands(d.Samples), thousands(d.Corrections), thousands(d.Train), thousands(d.HeldOut), thousands(d.HeldOutCorrect), d.DatasheetSHA256)
	}
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

// compareModels scores the running model and a new one side by side.
func compareModels(ctx context.Context, w io.Writer, currentPath, newPath string, extras []string, mnistDir string) error {
	workers := runtime.GOMAXPROCS(0)
	load := func(path string) (*classifier.Classifier, digitbot.ModelCard, error) {
		b, card, err := modelFiles(path)
		if err != nil {
			return nil, card, err
		}
		c, err := classifier.New(classifier.Options{ONNX: b, Card: card, Workers: workers})
		if err != nil {
			return nil, card, fmt.Errorf("the model %s cannot run: %w", modelSource(path), err)
		}
		return c, card, nil
	}
	old, oldCard, err := load(currentPath)
	if err != nil {
		return err
	}
	defer old.Close()
	cand, newCard, err := load(newPath)
	if err != nil {
		return err
	}
	defer cand.Close()

	mnist, err := mnistTest(mnistDir)
	if err != nil {
		return err
	}
	sets := []labelled{mnist}
	notes := []string{"the 10,000 test digits"}
	for _, dir := range extras {
		set, note, err := evaluationSet(dir, oldCard, newCard)
		if err != nil {
			return err
		}
		sets, notes = append(sets, set), append(notes, note)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "running: %s (sha256 %.12s…)\nnew:     %s (sha256 %.12s…)\n\n", modelSource(currentPath), oldCard.ONNXSHA256, newPath, newCard.ONNXSHA256)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "set\tsamples\trunning: right\trefused\tnew: right\trefused\tchange")
	var extraOld, extraNew, extraTotal int
	var mnistOld, mnistNew int
	var paired strings.Builder
	for i, set := range sets {
		so, err := scoreModel(ctx, old, set, workers)
		if err != nil {
			return err
		}
		sn, err := scoreModel(ctx, cand, set, workers)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%d\t%d (%.2f%%)\t%d\t%d (%.2f%%)\t%d\t%+.2f points\n", set.name, so.Total,
			so.Right, so.pct(so.Right), so.Refused, sn.Right, sn.pct(sn.Right), sn.Refused, sn.pct(sn.Right)-so.pct(so.Right))
		gained, lost := pairedChange(so, sn)
		paired.WriteString(pairedSentence(set.name, gained, lost))
		if i == 0 {
			mnistOld, mnistNew = so.Right, sn.Right
			fmt.Fprintf(tw, "  (digit logits only, as the card's test accuracy)\t\t%d (%.2f%%)\t\t%d (%.2f%%)\t\t%+.2f points\n",
				so.Digits, so.pct(so.Digits), sn.Digits, sn.pct(sn.Digits), sn.pct(sn.Digits)-so.pct(so.Digits))
			continue
		}
		extraOld, extraNew, extraTotal = extraOld+so.Right, extraNew+sn.Right, extraTotal+so.Total
	}
	tw.Flush()
	b.WriteString("\nright = the bot's answer is the true digit (a refusal as \"not a digit\" counts as wrong)\n")
	for i, n := range notes {
		fmt.Fprintf(&b, "%s: %s\n", sets[i].name, n)
	}
	b.WriteString("\n")
	b.WriteString(paired.String())
	b.WriteString("\n")
	b.WriteString(compareVerdict(len(extras) > 0, mnistOld, mnistNew, extraTotal, extraOld, extraNew))
	_, err = io.WriteString(w, b.String())
	return err
}

// compareVerdict says plainly whether the new model is better on both
// MNIST (mnistOld and mnistNew right, the bot's answers) and the confirmed
// samples (extraOld and extraNew right of extraTotal). A tie on MNIST is
// not "better", but it is said as a tie: better on the samples and worse
// on nothing is a different answer from worse on MNIST.
func compareVerdict(haveExtras bool, mnistOld, mnistNew, extraTotal, extraOld, extraNew int) string {
	mnistBetter := mnistNew > mnistOld
	switch {
	case !haveExtras && mnistBetter:
		return "verdict: the new model is better on MNIST. No confirmed samples were given (--extra DIR): it is not shown to be better on your members' writing.\n"
	case !haveExtras:
		return "verdict: the new model is NOT better on MNIST. Keep the running model.\n"
	case extraTotal == 0:
		return "verdict: the confirmed samples hold nothing neither model trained on: nothing to compare them on.\n"
	case mnistBetter && extraNew > extraOld:
		return "verdict: the new model is better on both: MNIST and your confirmed samples. Deploy it with model_path.\n"
	case mnistNew == mnistOld && extraNew > extraOld:
		return fmt.Sprintf("verdict: the new model is better on your confirmed samples and the SAME on MNIST (%d right either way): not better on both, worse on neither.\n", mnistNew)
	case extraNew > extraOld:
		return "verdict: the new model is better on your confirmed samples but NOT on MNIST: not better on both.\n"
	case mnistBetter:
		return "verdict: the new model is better on MNIST but NOT on your confirmed samples: not better on both.\n"
	default:
		return "verdict: the new model is better on neither. Keep the running model.\n"
	}
}
