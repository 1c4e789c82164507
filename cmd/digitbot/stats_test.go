package main

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/store"
)

// decodeStatsPNG fails the test unless path holds a non-blank PNG of size.
func decodeStatsPNG(t *testing.T, data []byte, size image.Point) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if img.Bounds().Size() != size {
		t.Fatalf("size %v, want %v", img.Bounds().Size(), size)
	}
	colours := map[[4]uint32]bool{}
	for y := 0; y < size.Y; y += 7 {
		for x := 0; x < size.X; x += 7 {
			r, g, b, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, b, a}] = true
		}
	}
	if len(colours) < 10 {
		t.Fatalf("only %d colours: blank image", len(colours))
	}
}

// smallChart is the smallest --width and --height, for the tests that do
// not check the default size: rendering is pure computation, ~30x slower
// under -race, and its cost follows the pixels.
var smallChart = []string{"--width", "480", "--height", "360"}

func TestStats_Demo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// The default size once; the other demo sizes small.
	for _, n := range []string{"0", "1", "1000"} {
		path := filepath.Join(dir, "demo"+n+".png")
		args, size := []string{"stats", "--demo", n, "-o", path}, image.Point{1200, 900}
		if n != "1000" {
			args, size = append(args, smallChart...), image.Point{480, 360}
		}
		code, _, stderr := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("--demo %s: exit %d: %s", n, code, stderr)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		decodeStatsPNG(t, data, size)
	}
	// Same seed, same picture; another seed, another picture.
	a := filepath.Join(dir, "a.png")
	b := filepath.Join(dir, "b.png")
	c := filepath.Join(dir, "c.png")
	runCLI(t, append([]string{"stats", "--demo", "300", "--seed", "5", "-o", a}, smallChart...)...)
	runCLI(t, append([]string{"stats", "--demo", "300", "--seed", "5", "-o", b}, smallChart...)...)
	runCLI(t, append([]string{"stats", "--demo", "300", "--seed", "6", "-o", c}, smallChart...)...)
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	dc, _ := os.ReadFile(c)
	if len(da) == 0 || !bytes.Equal(da, db) || bytes.Equal(da, dc) {
		t.Fatalf("demo not deterministic by seed (%d, %d, %d bytes)", len(da), len(db), len(dc))
	}
}

func TestStats_DemoToStdoutWithSizeAndLang(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, "stats", "--demo", "50", "--lang", "es", "--width", "800", "--height", "600", "-o", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	decodeStatsPNG(t, []byte(stdout), image.Point{800, 600})
}

func TestStats_UsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "x.png")
	cases := map[string][]string{
		"no source":        {"stats", "-o", out},
		"no output":        {"stats", "--demo", "10"},
		"both sources":     {"stats", "--demo", "10", "--db", "x.db", "-o", out},
		"negative demo":    {"stats", "--demo", "-1", "-o", out},
		"bad flag":         {"stats", "--nope", "-o", out},
		"extra argument":   {"stats", "--demo", "3", "-o", out, "extra"},
		"bad lang":         {"stats", "--demo", "3", "--lang", "fr", "-o", out},
		"bad threshold":    {"stats", "--demo", "3", "--threshold", "2", "-o", out},
		"tiny image":       {"stats", "--demo", "3", "--width", "10", "-o", out},
		"scope with demo":  {"stats", "--demo", "3", "--guild", "1", "-o", out},
		"empty db name":    {"stats", "--db", "", "-o", out},
		"non-numeric demo": {"stats", "--demo", "many", "-o", out},
	}
	for name, args := range cases {
		code, _, stderr := runCLI(t, args...)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2 (stderr %q)", name, code, stderr)
		}
		if !strings.Contains(stderr, "stats") {
			t.Errorf("%s: stderr does not say which command: %q", name, stderr)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("a usage error wrote %s", out)
	}
}

func TestStats_MissingDatabaseFailsClearlyAndWritesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "out.png")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "stats", "--db", filepath.Join(dir, "missing.db"), "-o", out)
	if code != 1 || !strings.Contains(stderr, "missing.db") {
		t.Fatalf("exit %d, stderr %q: want 1 and the file named", code, stderr)
	}
	if data, _ := os.ReadFile(out); string(data) != "old" {
		t.Fatalf("a failed run replaced the old output")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("left files behind: %v", entries)
	}
}

func TestStats_FromDatabaseByScope(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "digitbot.db")
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { now = now.Add(17 * time.Minute); return now }
	db, err := store.Open(path, store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 40; i++ {
		guild, user := "g1", "alice"
		if i%4 == 0 {
			guild, user = "g2", "bob"
		}
		p := digitbot.Prediction{GuildID: guild, ChannelID: "c", UserID: user, Digit: i % 10, Confidence: 0.9, CreatedAt: now}
		if err := db.SavePrediction(ctx, &p); err != nil {
			t.Fatal(err)
		}
		truth := i % 10
		if i%7 == 0 {
			truth = (i + 1) % 10
		}
		if _, err := db.Evaluate(ctx, p.ID, user, truth); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	var last []byte
	for _, scope := range [][]string{nil, {"--guild", "g1"}, {"--user", "bob"}, {"--guild", "g2", "--user", "bob"}, {"--guild", "nobody"}} {
		out := filepath.Join(dir, "out.png")
		args := append(append([]string{"stats", "--db", path, "-o", out}, smallChart...), scope...)
		code, _, stderr := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", scope, code, stderr)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		decodeStatsPNG(t, data, image.Point{480, 360})
		if bytes.Equal(data, last) {
			t.Errorf("%v: same image as the previous scope", scope)
		}
		last = data
		wantTotal := map[string]string{"": "40 evaluations", "g1": "30 evaluations", "bob": "10 evaluations", "nobody": "0 evaluations"}
		key := ""
		if len(scope) > 0 {
			key = scope[len(scope)-1]
		}
		if w, ok := wantTotal[key]; ok && !strings.Contains(stderr, "("+w) {
			t.Errorf("%v: stderr %q, want %q", scope, stderr, w)
		}
	}
}
