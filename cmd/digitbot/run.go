package main

import (
	"context"
	"errors"
	"io"
)

// runRun is not written yet: its owner replaces this file.
func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("run: not implemented yet")
}
