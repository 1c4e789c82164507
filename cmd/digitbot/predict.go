package main

import (
	"context"
	"errors"
	"io"
)

// runPredict is not written yet: its owner replaces this file.
func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("predict: not implemented yet")
}
