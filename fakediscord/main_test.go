package fakediscord

import (
	"os"
	"testing"

	"github.com/digitbot/digitbot/internal/digitbottest"
)

// TestMain runs up to 8 tests at once: most open discordgo sessions, which
// sleep a second when they close (see digitbottest.RaiseParallel).
func TestMain(m *testing.M) {
	digitbottest.RaiseParallel(8)
	os.Exit(m.Run())
}
