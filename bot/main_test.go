package bot_test

import (
	"os"
	"testing"

	"github.com/digitbot/digitbot/internal/digitbottest"
)

// TestMain runs up to 8 tests at once: each starts and stops a bot, whose
// discordgo sessions sleep a second when they close (see RaiseParallel).
func TestMain(m *testing.M) {
	digitbottest.RaiseParallel(8)
	os.Exit(m.Run())
}
