// Package models embeds digitbot's trained digit classifier: the ONNX graph
// (digits.onnx) and its model card (digits.json). Both are produced together by
// models/train/train.py; see models/train/README.md to regenerate them.
package models

import (
	_ "embed"
	"encoding/json"
	"fmt"

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
