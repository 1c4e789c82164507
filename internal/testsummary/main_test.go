package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	stream := strings.Join([]string{
		`{"Action":"run","Package":"p/a","Test":"TestBrowser"}`,
		`{"Action":"output","Package":"p/a","Test":"TestBrowser","Output":"=== RUN   TestBrowser\n"}`,
		`{"Action":"output","Package":"p/a","Test":"TestBrowser","Output":"    e2e_test.go:47: no Chromium found (apt-get install -y chromium)\n"}`,
		`{"Action":"output","Package":"p/a","Test":"TestBrowser","Output":"--- SKIP: TestBrowser (0.00s)\n"}`,
		`{"Action":"skip","Package":"p/a","Test":"TestBrowser"}`,
		`{"Action":"output","Package":"p/a","Test":"TestOK","Output":"    ok_test.go:3: chatter\n"}`,
		`{"Action":"pass","Package":"p/a","Test":"TestOK"}`,
		`{"Action":"output","Package":"p/a","Output":"PASS\n"}`,
		`{"Action":"output","Package":"p/a","Output":"ok  \tp/a\t0.1s\n"}`,
		`{"Action":"pass","Package":"p/a"}`,
		`{"Action":"output","Package":"p/c","Output":"?   \tp/c\t[no test files]\n"}`,
		`{"Action":"skip","Package":"p/c"}`,
		`{"Action":"output","Package":"p/b","Test":"TestBad","Output":"    bad_test.go:9: got 2, want 3\n"}`,
		`{"Action":"fail","Package":"p/b","Test":"TestBad"}`,
		`{"Action":"output","Package":"p/b","Output":"FAIL\tp/b\t0.2s\n"}`,
		`{"Action":"fail","Package":"p/b"}`,
	}, "\n")
	var out bytes.Buffer
	failed, skips, err := summarize(strings.NewReader(stream), &out)
	if err != nil || !failed {
		t.Fatalf("failed = %v, err = %v; want a failure", failed, err)
	}
	if len(skips) != 1 || skips[0].test != "TestBrowser" || skips[0].reason != "no Chromium found (apt-get install -y chromium)" {
		t.Fatalf("skips = %+v", skips)
	}
	got := out.String()
	for _, want := range []string{"ok  \tp/a", "got 2, want 3", "FAIL\tp/b"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "chatter") || strings.Contains(got, "PASS\n") {
		t.Errorf("output has a passing test's chatter:\n%s", got)
	}
}
