package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/digitbot/digitbot/models"
)

// runVersion is `digitbot version`: what a bug report needs to name the
// build exactly.
func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: digitbot version\n\nPrints the module version, the source revision it was built from, the Go version and the embedded model's name and SHA-256.")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	info, _ := debug.ReadBuildInfo()
	for _, line := range versionLines(info) {
		fmt.Fprintln(stdout, line)
	}
	return nil
}

// versionLines describes a build. The module version is "(devel)" for a
// build from a checkout (go build, go run); the revision comes from the
// VCS stamp Go adds when building inside a git checkout.
func versionLines(info *debug.BuildInfo) []string {
	version, revision, when, modified := "unknown", "unknown (built without VCS information)", "", ""
	goVersion := runtime.Version()
	if info != nil {
		if info.Main.Version != "" {
			version = info.Main.Version
		}
		if info.GoVersion != "" {
			goVersion = info.GoVersion
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = " (with uncommitted changes)"
				}
			}
		}
	}
	if when != "" {
		revision += " from " + when
	}
	model := "unreadable model card"
	if card, err := models.Card(); err == nil {
		model = card.Name + ", sha256 " + card.ONNXSHA256
	}
	return []string{
		"digitbot " + version,
		"revision " + revision + modified,
		"go       " + goVersion + " " + runtime.GOOS + "/" + runtime.GOARCH,
		"model    " + model,
	}
}
