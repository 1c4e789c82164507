//go:build race

package chart

// raceEnabled: rendering runs about thirty times slower under the race
// detector.
const raceEnabled = true
