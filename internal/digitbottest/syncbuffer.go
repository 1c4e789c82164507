package digitbottest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
)

// SyncBuffer is a bytes.Buffer that many goroutines may write at once (a
// logger's handlers, a child process's stderr copier) while a test reads
// it: a plain Buffer would be a data race under -race. WaitFor and Next let
// a test wait for a line to be written instead of polling String.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	// written is closed by the next Write; nil until Next or WaitFor
	// needs it.
	written chan struct{}
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.written != nil {
		close(b.written)
		b.written = nil
	}
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Next returns a channel closed by the next Write.
func (b *SyncBuffer) Next() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.written == nil {
		b.written = make(chan struct{})
	}
	return b.written
}

// WaitFor waits until everything written so far contains each of subs,
// or ctx ends (the error then says what was missing).
func (b *SyncBuffer) WaitFor(ctx context.Context, subs ...string) error {
	for {
		b.mu.Lock()
		text := b.buf.String()
		missing := ""
		for _, s := range subs {
			if !strings.Contains(text, s) {
				missing = s
				break
			}
		}
		if missing == "" {
			b.mu.Unlock()
			return nil
		}
		if b.written == nil {
			b.written = make(chan struct{})
		}
		written := b.written
		b.mu.Unlock()
		select {
		case <-written:
		case <-ctx.Done():
			return fmt.Errorf("%q never written: %w", missing, ctx.Err())
		}
	}
}
