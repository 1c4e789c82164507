package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/classifier"
	"github.com/digitbot/digitbot/models"
)

// writeExternalModel writes the embedded model and its card, changed by
// edit, as DIR/new.onnx and DIR/new.json, and returns the .onnx path.
func writeExternalModel(t *testing.T, onnx []byte, edit func(*digitbot.ModelCard)) string {
	t.Helper()
	card, err := models.Card()
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&card)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "new.onnx")
	raw, err := json.Marshal(card)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, onnx, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "new.json"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestModelFiles_ExternalModelLoadsLikeTheEmbeddedOne(t *testing.T) {
	t.Parallel()
	path := writeExternalModel(t, models.ONNX(), nil)
	onnx, card, err := modelFiles(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := classifier.New(classifier.Options{ONNX: onnx, Card: card, Workers: 1})
	if err != nil {
		t.Fatalf("a copy of the embedded model refused: %v", err)
	}
	c.Close()
	if _, _, err := modelFiles(filepath.Join(t.TempDir(), "missing.onnx")); err == nil || !strings.Contains(err.Error(), "reading the model") {
		t.Errorf("missing file: %v", err)
	}
	os.Remove(models.CardPath(path))
	if _, _, err := modelFiles(path); err == nil || !strings.Contains(err.Error(), "card that must sit beside the model") {
		t.Errorf("missing card: %v", err)
	}
}

// TestRun_ModelPath_RefusesABadModel starts `digitbot run` with
// DIGITBOT_MODEL_PATH pointing at a model that must not run: it exits 1
// with the reason, before opening the database or connecting.
func TestRun_ModelPath_RefusesABadModel(t *testing.T) {
	unsetenv(t, "DIGITBOT_TOKEN_FILE")
	t.Setenv("DIGITBOT_TOKEN", "Bot not-a-real-token")
	t.Setenv("DIGITBOT_ADMIN_ADDR", "")
	// A graph of one Gemm node (ModelProto.graph{node{op_type}}), with a card
	// whose hash matches it.
	gemmOnly := []byte("\x3a\x08\x0a\x06\x22\x04Gemm")
	gemmSum := sha256.Sum256(gemmOnly)
	for _, tc := range []struct {
		name string
		path string
		want string
	}{
		{"hash", writeExternalModel(t, models.ONNX(), func(c *digitbot.ModelCard) { c.ONNXSHA256 = strings.Repeat("0", 64) }), "does not match its card"},
		{"self-test", writeExternalModel(t, models.ONNX(), func(c *digitbot.ModelCard) { c.SelfTest.Logits[0] += 1 }), "self-test failed"},
		{"ops", writeExternalModel(t, gemmOnly, func(c *digitbot.ModelCard) { c.ONNXSHA256 = hex.EncodeToString(gemmSum[:]) }), "uses Gemm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("DIGITBOT_MODEL_PATH", tc.path)
			t.Setenv("DIGITBOT_DATABASE", filepath.Join(dir, "digitbot.db"))
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), []string{"run"}, &stdout, &stderr)
			if code != 1 || !strings.Contains(stderr.String(), "refusing to start with the model "+tc.path) || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want 1 naming the file and %q", code, stderr.String(), tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "digitbot.db")); err == nil {
				t.Error("a database was created although the model was refused")
			}
		})
	}
}
