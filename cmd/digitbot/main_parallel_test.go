package main

import (
	"os"
	"testing"

	"github.com/digitbot/digitbot/internal/digitbottest"
)

// TestMain runs up to 4 tests at once: many wait on child processes (the
// built binary, Python, Chromium), on PostgreSQL or on discordgo's
// one-second close (see digitbottest.RaiseParallel). The tests that set
// environment variables or the working directory stay sequential.
func TestMain(m *testing.M) {
	digitbottest.RaiseParallel(4)
	os.Exit(m.Run())
}
