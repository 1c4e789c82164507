package main

import (
	"context"
	"errors"
	"io"
)

// runExport is not written yet: its owner replaces this file.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("export: not implemented yet")
}
