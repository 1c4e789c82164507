// Command testsummary reads `go test -json` on stdin, prints what plain
// `go test` prints (package results, the output of failing tests, build
// errors) and ends with one line per skipped test and its reason, which
// plain `go test` hides: a test that needs Chromium or Node and quietly
// skipped should not look like a test that passed. It exits 1 when
// anything failed. The Makefile's race target pipes into it.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output and build-fail events
	Test       string
	Output     string
}

type skip struct{ pkg, test, reason string }

func main() {
	failed, skips, err := summarize(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(1)
	}
	if len(skips) > 0 {
		fmt.Printf("\n%d test(s) skipped; the reason says how to run it:\n", len(skips))
		for _, s := range skips {
			fmt.Printf("  SKIP %s %s: %s\n", s.pkg, s.test, s.reason)
		}
	}
	if failed {
		os.Exit(1)
	}
}

// summarize copies the essential output of a `go test -json` stream to w
// and returns whether anything failed and what was skipped.
func summarize(r io.Reader, w io.Writer) (failed bool, skips []skip, err error) {
	outputs := map[string][]string{} // package + test → its output lines
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if json.Unmarshal(line, &e) != nil {
			fmt.Fprintln(w, string(line)) // not JSON: go's own error output
			continue
		}
		key := e.Package + " " + e.Test
		switch {
		case e.Action == "build-output":
			fmt.Fprint(w, e.Output)
		case e.Action == "build-fail":
			failed = true
		case e.Test == "" && e.Action == "output":
			if t := strings.TrimSpace(e.Output); t != "PASS" && !strings.HasPrefix(t, "testing: warning: no tests to run") {
				fmt.Fprint(w, e.Output)
			}
		case e.Test == "" && e.Action == "fail":
			failed = true
		case e.Action == "output":
			outputs[key] = append(outputs[key], e.Output)
		case e.Action == "fail":
			for _, o := range outputs[key] {
				fmt.Fprint(w, o)
			}
			delete(outputs, key)
		case e.Action == "skip" && e.Test == "":
			// A package without test files ("? pkg [no test files]"):
			// go test's own line above says so; it is not a skipped test.
		case e.Action == "skip":
			skips = append(skips, skip{pkg: e.Package, test: e.Test, reason: skipReason(outputs[key])})
			delete(outputs, key)
		case e.Action == "pass":
			delete(outputs, key)
		}
	}
	return failed, skips, sc.Err()
}

// skipReason is what the test said when it skipped, without go test's own
// "=== RUN" and "--- SKIP" lines and the file:line prefix.
func skipReason(lines []string) string {
	var parts []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- ") {
			continue
		}
		if i := strings.Index(t, ".go:"); i > 0 && !strings.Contains(t[:i], " ") {
			if j := strings.Index(t[i:], ": "); j > 0 {
				t = t[i+j+2:]
			}
		}
		parts = append(parts, t)
	}
	if len(parts) == 0 {
		return "no reason given"
	}
	return strings.Join(parts, " ")
}
