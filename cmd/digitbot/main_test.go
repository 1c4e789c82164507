package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestMain_HelpAndUsageErrors(t *testing.T) {
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
