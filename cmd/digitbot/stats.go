package main

import (
	"context"
	"errors"
	"io"
)

// runStats is not written yet: its owner replaces this file.
func runStats(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("stats: not implemented yet")
}
