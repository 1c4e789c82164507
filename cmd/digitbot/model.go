package main

import (
	"context"
	"errors"
	"io"
)

// runModel is not written yet: its owner replaces this file.
func runModel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("model: not implemented yet")
}
