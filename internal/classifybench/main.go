// Command classifybench is the Go side of bench/python_peer.py: it keeps
// one Classifier (the embedded model) and times it on the files the Python
// script names, one request at a time, so that the two run interleaved in
// one session (A, B, A, B) on the same files.
//
// Requests are lines on stdin, "classify FILE" or "prepare FILE"; each
// answer is one line on stdout, "ok NANOSECONDS RESULT" or "error MESSAGE".
// classify times Classify whole (decode, preprocessing, inference);
// prepare times decoding and preprocessing only. Files are read once,
// before any timing, as the bot holds a download in memory.
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/digitbot/digitbot/classifier"
	"github.com/digitbot/digitbot/models"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "classifybench:", err)
		os.Exit(1)
	}
}

func run() error {
	card, err := models.Card()
	if err != nil {
		return err
	}
	c, err := classifier.New(classifier.Options{ONNX: models.ONNX(), Card: card, Workers: 1})
	if err != nil {
		return err
	}
	defer c.Close()
	files := map[string][]byte{}
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "ready")
	out.Flush()
	ctx := context.Background()
	for in.Scan() {
		op, path, ok := strings.Cut(in.Text(), " ")
		if !ok {
			fmt.Fprintln(out, "error want: classify FILE or prepare FILE")
			out.Flush()
			continue
		}
		data, ok := files[path]
		if !ok {
			if data, err = os.ReadFile(path); err != nil {
				fmt.Fprintln(out, "error", err)
				out.Flush()
				continue
			}
			files[path] = data
		}
		var result string
		start := time.Now()
		switch op {
		case "classify":
			p, err := c.Classify(ctx, data)
			if err != nil {
				result = "error:" + err.Error()
			} else {
				result = p.Number
			}
		case "prepare":
			n, err := c.Prepare(ctx, data)
			if err != nil {
				result = "error:" + err.Error()
			} else {
				result = fmt.Sprintf("%d-inputs", n)
			}
		default:
			fmt.Fprintln(out, "error unknown request", op)
			out.Flush()
			continue
		}
		took := time.Since(start)
		fmt.Fprintln(out, "ok", took.Nanoseconds(), strings.ReplaceAll(result, " ", "_"))
		out.Flush()
	}
	return in.Err()
}
