//go:build !unix

package chart

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
