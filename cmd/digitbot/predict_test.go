package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/models"
)

// runCLI runs digitbot with args and returns its exit status and output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// predictFiles writes a set of test files into a temporary directory: real
// digits and every kind of bad input. want maps each file to its expected
// digit (>= 0) or error code.
func predictFiles(t *testing.T) (dir string, names []string, want map[string]any) {
	t.Helper()
	dir = t.TempDir()
	want = map[string]any{}
	write := func(name string, data []byte, expect any) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, filepath.Join(dir, name))
		want[filepath.Join(dir, name)] = expect
	}
	for _, name := range []string{"seven-lossy.webp", "three-alpha.webp"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "classifier", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		write(name, data, map[string]int{"seven-lossy.webp": 7, "three-alpha.webp": 3}[name])
	}
	one := drawPNG(t, 200, 300, func(x, y int) bool { return x >= 90 && x < 110 && y >= 40 && y < 260 })
	write("one.png", one, 1)
	write("empty.png", nil, digitbot.EINVALIDIMAGE)
	write("notes.txt", []byte("not an image\n"), digitbot.EUNSUPPORTED)
	write("truncated.png", one[:len(one)/2], digitbot.EINVALIDIMAGE)
	write("huge.png", lyingPNGHeader(100000, 100000), digitbot.ETOOLARGE)
	write("blank.png", drawPNG(t, 100, 100, func(x, y int) bool { return false }), digitbot.ENODIGIT)
	write("big.png", append(bytes.Clone(one), make([]byte, 12<<20)...), digitbot.ETOOLARGE)
	missing := filepath.Join(dir, "missing.png")
	names = append(names, missing)
	want[missing] = digitbot.EINVALIDIMAGE
	return dir, names, want
}

// drawPNG draws black ink where ink(x, y) on white paper.
func drawPNG(t *testing.T, w, h int, ink func(x, y int) bool) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{250})
			if ink(x, y) {
				img.SetGray(x, y, color.Gray{20})
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// lyingPNGHeader is a PNG signature and IHDR declaring w x h pixels.
func lyingPNGHeader(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8] = 8
	b := []byte("\x89PNG\r\n\x1a\n")
	b = binary.BigEndian.AppendUint32(b, 13)
	chunk := append([]byte("IHDR"), ihdr...)
	b = append(b, chunk...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
}

func TestPredict_JSONLinesInOrder(t *testing.T) {
	t.Parallel()
	_, names, want := predictFiles(t)
	code, stdout, stderr := runCLI(t, append([]string{"predict", "--json"}, names...)...)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != len(names) {
		t.Fatalf("%d lines for %d files:\n%s", len(lines), len(names), stdout)
	}
	for i, line := range lines {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			t.Fatalf("line %d is not JSON: %q", i, line)
		}
		var keys []string
		for k := range raw {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var file string
		json.Unmarshal(raw["file"], &file)
		if file != names[i] {
			t.Fatalf("line %d is for %q, want %q (input order)", i, file, names[i])
		}
		switch expect := want[file].(type) {
		case int:
			if !reflect.DeepEqual(keys, []string{"confidence", "digit", "digits", "file", "number", "probabilities"}) {
				t.Errorf("%s: keys %v", file, keys)
			}
			var got struct {
				Number        string
				Digit         int
				Confidence    float64
				Probabilities []float64
				Digits        []struct {
					Digit         int
					Confidence    float64
					Probabilities []float64
					Box           []int
				}
			}
			json.Unmarshal([]byte(line), &got)
			// A one-digit reading: one entry in digits, the same as the top level.
			if got.Number != string(rune('0'+expect)) || len(got.Digits) != 1 || got.Digits[0].Digit != got.Digit ||
				got.Digits[0].Confidence != got.Confidence || !slices.Equal(got.Digits[0].Probabilities, got.Probabilities) ||
				len(got.Digits[0].Box) != 4 || got.Digits[0].Box[2] <= 0 || got.Digits[0].Box[3] <= 0 {
				t.Errorf("%s: %s: number and digits do not repeat the one digit", file, line)
			}
			sum := 0.0
			for _, p := range got.Probabilities {
				sum += p
			}
			// The ten digits' probabilities sum to 1, less the "not a
			// digit" share with an 11-class model.
			if got.Digit != expect || len(got.Probabilities) != 10 || sum > 1+1e-6 || sum < 0.5 ||
				got.Confidence != slices.Max(got.Probabilities) || got.Probabilities[got.Digit] != got.Confidence {
				t.Errorf("%s: %s, want digit %d", file, line, expect)
			}
		case string:
			if !reflect.DeepEqual(keys, []string{"code", "error", "file"}) {
				t.Errorf("%s: keys %v", file, keys)
			}
			var got struct{ Error, Code string }
			json.Unmarshal([]byte(line), &got)
			if got.Code != expect || !regexp.MustCompile(`^[A-Z].*\.$`).MatchString(got.Error) {
				t.Errorf("%s: %s, want code %s and a sentence", file, line, expect)
			}
		}
	}
	if !strings.Contains(stdout, `"error":"The file is too large (12.0 MiB); the limit is 10 MiB."`) {
		t.Errorf("a file over the cap must give its real size:\n%s", stdout)
	}
	if !strings.Contains(stdout, `"error":"The file could not be read (no such file or directory)."`) {
		t.Errorf("a missing file must say it could not be read:\n%s", stdout)
	}
}

func TestPredict_HumanLines(t *testing.T) {
	t.Parallel()
	_, names, want := predictFiles(t)
	code, stdout, stderr := runCLI(t, append([]string{"predict"}, names...)...)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != len(names) {
		t.Fatalf("%d lines for %d files:\n%s", len(lines), len(names), stdout)
	}
	ok := regexp.MustCompile(`^(.+): (\d) \(\d+\.\d%\) — next: \d \(\d+\.\d%\), \d \(\d+\.\d%\)( \(unsure\))?$`)
	bad := regexp.MustCompile(`^(.+): error: [A-Z].*\.$`)
	for i, line := range lines {
		switch expect := want[names[i]].(type) {
		case int:
			m := ok.FindStringSubmatch(line)
			if m == nil || m[1] != names[i] || m[2] != string(rune('0'+expect)) {
				t.Errorf("line %q, want %s: %d (...)", line, names[i], expect)
			}
		case string:
			if m := bad.FindStringSubmatch(line); m == nil || m[1] != names[i] {
				t.Errorf("line %q, want %s: error: ...", line, names[i])
			}
		}
	}
}

// TestPredict_Number: a picture of a number gives the number, its
// confidence and one entry per digit with its box; no top-level digit.
func TestPredict_Number(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := filepath.Join(dir, "eleven.png")
	// Two bars, 20 wide and 220 tall, 80 pixels apart: "11".
	bars := drawPNG(t, 300, 300, func(x, y int) bool { return y >= 40 && y < 260 && (x >= 90 && x < 110 || x >= 190 && x < 210) })
	if err := os.WriteFile(name, bars, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "predict", "--json", name)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatalf("not JSON: %q", stdout)
	}
	var keys []string
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !reflect.DeepEqual(keys, []string{"confidence", "digits", "file", "number"}) {
		t.Errorf("keys %v, want no top-level digit or probabilities", keys)
	}
	var got struct {
		Number     string
		Confidence float64
		Digits     []struct {
			Digit         int
			Confidence    float64
			Probabilities []float64
			Box           [4]int
		}
	}
	json.Unmarshal([]byte(stdout), &got)
	if got.Number != "11" || len(got.Digits) != 2 {
		t.Fatalf("got %s, want the number 11 with two digits", stdout)
	}
	product := 1.0
	for i, d := range got.Digits {
		product *= d.Confidence
		// The box holds the bar (x 90-110 or 190-210, y 40-260), give or
		// take the soft edge.
		x0 := []int{90, 190}[i]
		if b := d.Box; abs(b[0]-x0) > 4 || abs(b[0]+b[2]-(x0+20)) > 4 || abs(b[1]-40) > 4 || abs(b[1]+b[3]-260) > 4 {
			t.Errorf("digit %d: box %v, want about [%d 40 20 220]", i, b, x0)
		}
		if len(d.Probabilities) != 10 || d.Probabilities[d.Digit] != d.Confidence {
			t.Errorf("digit %d: %+v", i, d)
		}
	}
	if math.Abs(got.Confidence-product) > 1e-12 {
		t.Errorf("confidence %v, want the product of the digits' %v", got.Confidence, product)
	}
	code, stdout, _ = runCLI(t, "predict", name)
	if ok := regexp.MustCompile(`^.+: 11 \(\d+\.\d%\) — digits: 1 \(\d+\.\d%\), 1 \(\d+\.\d%\)( \(unsure\))?\n$`); code != 0 || !ok.MatchString(stdout) {
		t.Errorf("plain line %q", stdout)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func TestPredict_FlagAfterFiles(t *testing.T) {
	t.Parallel()
	_, names, _ := predictFiles(t)
	code, stdout, _ := runCLI(t, "predict", names[0], "--json", names[1])
	if code != 0 || strings.Count(stdout, "\n") != 2 || !strings.HasPrefix(stdout, `{"file":`) {
		t.Errorf("exit %d, stdout %q", code, stdout)
	}
}

func TestPredict_UsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"predict"}, {"predict", "--json"}, {"predict", "--bogus", "x.png"}} {
		code, stdout, stderr := runCLI(t, args...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, "digitbot predict:") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and a message", args, code, stdout, stderr)
		}
	}
}

func TestModel_PrintsCard(t *testing.T) {
	t.Parallel()
	card, err := models.Card()
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "model")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{card.Name, card.ONNXSHA256, "self-test:      passed", "onnx-go", card.Training.Command, "classes:", "temperature:"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	for _, l := range card.Layers {
		if !strings.Contains(stdout, l.Name) || !strings.Contains(stdout, l.Type) || !strings.Contains(stdout, thousands(l.Params)) {
			t.Errorf("layer %s missing from:\n%s", l.Name, stdout)
		}
	}
	if !regexp.MustCompile(`total\s+` + regexp.QuoteMeta(thousands(card.TotalParams))).MatchString(stdout) {
		t.Errorf("no total parameters line:\n%s", stdout)
	}
	if acc := regexp.MustCompile(`test accuracy:\s+(\d+\.\d\d)%`).FindStringSubmatch(stdout); acc == nil {
		t.Errorf("no test accuracy:\n%s", stdout)
	}

	code, stdout, _ = runCLI(t, "model", "--json")
	var got digitbot.ModelCard
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || code != 0 {
		t.Fatalf("model --json: exit %d, %v", code, err)
	}
	if !reflect.DeepEqual(got, card) {
		t.Errorf("model --json differs from the embedded card")
	}
	if code, _, _ := runCLI(t, "model", "extra"); code != 2 {
		t.Errorf("model extra: exit %d, want 2", code)
	}
}

// TestModel_PrintsCalibration: an 11-class card's classes, temperature,
// calibration and rejection figures are printed.
func TestModel_PrintsCalibration(t *testing.T) {
	t.Parallel()
	card := digitbot.ModelCard{Name: "m", Classes: 11, Temperature: 1.25,
		Calibration: &digitbot.Calibration{Split: "held-out training digits", Samples: 5000, ECEBefore: 0.031, ECEAfter: 0.004},
		Rejection:   &digitbot.Rejection{Split: "held-out negatives", NegativesTotal: 2000, NegativesRefused: 0.975, DigitsRefused: 0.0031}}
	var b strings.Builder
	if err := printCard(&b, card, "passed"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"classes:        11 (digits, and class 10: not a digit)",
		"temperature:    1.25",
		"calibration:    expected calibration error 3.10% before the temperature, 0.40% after (held-out training digits, 5000 samples)",
		"rejection:      97.5% of 2000 non-digits refused, 0.31% of real digits refused (held-out negatives)",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}

func TestThousands(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 218490: "218,490", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
