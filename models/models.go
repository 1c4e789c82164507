// Package models embeds digitbot's trained digit classifier: the ONNX graph
// (digits.onnx) and its model card (digits.json). Both are produced together by
// models/train/train.py; see models/train/README.md to regenerate them.
package models

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/digitbot/digitbot"
)

//go:embed digits.onnx
var onnxModel []byte

//go:embed digits.json
var cardJSON []byte

// ONNX returns the embedded model bytes. The slice is shared, not copied:
// callers must not modify it (copy it first if a library wants to own it).
func ONNX() []byte {
	return onnxModel
}

// Card parses the embedded model card. Each call returns a fresh value, so
// callers may modify it freely.
func Card() (digitbot.ModelCard, error) {
	var card digitbot.ModelCard
	if err := json.Unmarshal(cardJSON, &card); err != nil {
		return digitbot.ModelCard{}, fmt.Errorf("models: parse digits.json: %w", err)
	}
	return card, nil
}

// CardPath is where the card of an external model file is read from: the
// same name with .json for .onnx (models/digits.onnx → models/digits.json),
// as train.py writes them.
func CardPath(onnxPath string) string {
	return strings.TrimSuffix(onnxPath, filepath.Ext(onnxPath)) + ".json"
}

// LoadFile reads an external model and its card (see CardPath). It only
// reads and parses them: the classifier checks that they belong together
// (sha256), the operators and the self-test.
func LoadFile(onnxPath string) ([]byte, digitbot.ModelCard, error) {
	var card digitbot.ModelCard
	if filepath.Ext(onnxPath) != ".onnx" {
		return nil, card, fmt.Errorf("models: %s: a model file ends in .onnx (its card is the .json beside it)", onnxPath)
	}
	onnxBytes, err := os.ReadFile(onnxPath)
	if err != nil {
		return nil, card, fmt.Errorf("models: reading the model: %w", err)
	}
	cardPath := CardPath(onnxPath)
	raw, err := os.ReadFile(cardPath)
	if err != nil {
		return nil, card, fmt.Errorf("models: reading the model card that must sit beside the model: %w", err)
	}
	if err := json.Unmarshal(raw, &card); err != nil {
		return nil, card, fmt.Errorf("models: %s is not a model card: %w", cardPath, err)
	}
	return onnxBytes, card, nil
}
