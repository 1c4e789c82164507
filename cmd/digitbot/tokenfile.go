package main

import (
	"fmt"
	"os"
)

// tokenFileWarning says what is wrong with the token file's permissions,
// or "" when only its owner can read it. Anyone who can read the token can
// run a bot as this application, so group and others must not.
func tokenFileWarning(path string) string {
	if path == "" {
		return ""
	}
	st, err := os.Stat(path)
	if err != nil {
		return "" // loading the token already failed and said why
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Sprintf("the token file %s can be read by other users (mode %04o): anyone who reads it can act as the bot; run chmod 600 %s", path, perm, path)
	}
	return ""
}
