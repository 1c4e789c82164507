package main

import (
	"bytes"
	"context"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/digitbot/digitbot/models"
)

func TestMain_HelpAndUsageErrors(t *testing.T) {
	t.Parallel()
	for name := range commands() {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := Main(context.Background(), []string{name, "-h"}, &out, &errb); code != 0 {
				t.Errorf("%s -h exited %d, want 0\n%s", name, code, errb.String())
			}
			if !strings.Contains(errb.String()+out.String(), "-") {
				t.Errorf("%s -h printed no flags", name)
			}
			errb.Reset()
			if code := Main(context.Background(), []string{name, "--no-such-flag"}, &out, &errb); code != 2 {
				t.Errorf("%s --no-such-flag exited %d, want 2", name, code)
			}
			if !strings.Contains(errb.String(), "no-such-flag") {
				t.Errorf("%s: the usage error does not name the flag: %s", name, errb.String())
			}
		})
	}
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"frobnicate"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "unknown command") {
		t.Errorf("unknown command: exit %d, %q", code, errb.String())
	}
	if code := Main(context.Background(), nil, &out, &errb); code != 2 {
		t.Errorf("no command: exit %d, want 2", code)
	}
}

func TestVersion_NamesTheBuild(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"version"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	card, err := models.Card()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"digitbot ", "revision ", runtime.Version(), card.ONNXSHA256} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("version output lacks %q:\n%s", want, stdout.String())
		}
	}
	info := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-11-30T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	got := strings.Join(versionLines(info), "\n")
	for _, want := range []string{"digitbot v1.2.3", "revision abc123 from 2026-11-30T10:00:00Z (with uncommitted changes)", "go1.26.0"} {
		if !strings.Contains(got, want) {
			t.Errorf("versionLines lacks %q:\n%s", want, got)
		}
	}
}

func TestHealth_Help_IsItsOwnUsage(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"health", "-h"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if out := stderr.String(); !strings.Contains(out, "usage: digitbot health") || strings.Contains(out, "Usage of health") {
		t.Errorf("health -h printed %q", out)
	}
}
