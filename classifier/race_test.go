//go:build race

package classifier

// raceEnabled: the race detector slows pixel loops and codecs about tenfold,
// so the largest synthetic scenes run on a subset of digits under it.
const raceEnabled = true
