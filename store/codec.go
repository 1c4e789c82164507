package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/digitbot/digitbot"
)

// Storage layout (schema version 2). All buckets are top level:
//
//	meta         "schema_version" -> uint32 big-endian
//	predictions  prediction id (see idKey) -> record (see encodeRecord): the prediction
//	             and, once evaluated, its verdict appended; an evaluation
//	             has no record of its own, so nothing is stored twice
//	pending      time(8) + prediction id -> empty; unevaluated predictions by
//	             creation time, so Sweep reads only the expired head
//	models       'n' + uvarint -> model sha256, 's' + sha256 -> uvarint: the
//	             few models a file has seen, so a record holds a small number
//	             instead of 64 hex characters
//	guilds       guild id -> GuildConfig as JSON
//	scopes       one nested bucket per scope key (see scopeKey: the whole
//	             file, a server, a user; a user in a server reads the
//	             user's) holding
//	             0x01               -> totals (aggregate, varints)
//	             0x02 + day(4)      -> one UTC day's count, hits, confidence sum
//	                                   (file and server scopes, see keepsDays)
//	             0x03 + pred id     -> empty; the scope's pending predictions
//	                                   (user and guild scopes only), so
//	                                   ForgetUser/PurgeGuild find them; an
//	                                   evaluated one is found by its point
//	             0x04 + time(8) + id -> point: one evaluation, its value two
//	                                   bytes per digit verdict (see
//	                                   encodePoint), empty for a
//	                                   segmentation error
//
// Records are binary (see encodeRecord): probabilities and confidences are
// kept in units of 1/10,000, ids that are decimal numbers (Discord
// snowflakes) as varints, and the 28x28 inputs with a range coder (see
// encodePixels). A one-digit evaluation with its prediction, indexes and
// aggregates costs about 395 bytes of a compacted file (BenchmarkFileSize;
// schema v1: 1,692), 455 in a file written one transaction at a time as the
// bot does, free pages included (BenchmarkFileSize_OneTxPerWrite). Aggregates and points are
// compact binary because Stats reads hundreds of them per call and every
// evaluation rewrites four totals. Times in keys are big-endian with the
// sign bit flipped, so byte order is time order and range scans are cursor
// seeks.
var (
	bucketMeta        = []byte("meta")
	bucketPredictions = []byte("predictions")
	bucketPending     = []byte("pending")
	bucketGuilds      = []byte("guilds")
	bucketScopes      = []byte("scopes")
	bucketModels      = []byte("models")

	keySchemaVersion = []byte("schema_version")
)

// Prefixes of the keys inside a scope bucket. Points come last so that the
// newest point is the bucket's last key.
const (
	prefixTotals = 0x01
	prefixDay    = 0x02
	prefixPred   = 0x03
	prefixPoint  = 0x04
)

// confScale turns confidences into integers for the sums, so that removing
// an evaluation (ForgetUser) subtracts exactly what adding it added and the
// aggregates never drift from a recomputation.
const confScale = 1e9

func confFixed(c float64) int64 { return int64(math.Round(c * confScale)) }

func timeKey(t time.Time) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t.UnixNano())^(1<<63))
	return b[:]
}

func keyTime(b []byte) time.Time {
	return time.Unix(0, int64(binary.BigEndian.Uint64(b)^(1<<63))).UTC()
}

// dayNumber is the number of UTC days since 1970-01-01.
func dayNumber(t time.Time) int64 {
	s := t.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return d
}

func dayKey(t time.Time) []byte {
	k := make([]byte, 5)
	k[0] = prefixDay
	binary.BigEndian.PutUint32(k[1:], uint32(dayNumber(t)+1<<31))
	return k
}

func dayFromKey(k []byte) time.Time {
	n := int64(binary.BigEndian.Uint32(k[1:])) - 1<<31
	return time.Unix(n*86400, 0).UTC()
}

// idKey is how a prediction id is written in keys: an id drawn by newID (16
// characters of idAlphabet, 80 bits) as 0x00 and ten bytes, which keeps their
// order and saves five bytes in each of the four to five keys an evaluation
// has; any other id as itself (ids callers choose never start with 0x00,
// see validID).
func idKey(id string) []byte {
	if len(id) != IDLength {
		return []byte(id)
	}
	k := make([]byte, 1, 11)
	for half := 0; half < 2; half++ {
		var n uint64
		for _, c := range []byte(id[8*half : 8*half+8]) {
			i := strings.IndexByte(idAlphabet, c)
			if i < 0 {
				return []byte(id)
			}
			n = n<<5 | uint64(i)
		}
		k = append(k, byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return k
}

// keyID is the id idKey wrote as k.
func keyID(k []byte) string {
	if len(k) != 11 || k[0] != 0 {
		return string(k)
	}
	var id [IDLength]byte
	for half := 0; half < 2; half++ {
		b := k[1+5*half : 6+5*half]
		n := uint64(b[0])<<32 | uint64(b[1])<<24 | uint64(b[2])<<16 | uint64(b[3])<<8 | uint64(b[4])
		for j := 7; j >= 0; j-- {
			id[8*half+j] = idAlphabet[n&31]
			n >>= 5
		}
	}
	return string(id[:])
}

func predKey(id string) []byte { return append([]byte{prefixPred}, idKey(id)...) }

func pointKey(t time.Time, id string) []byte {
	k := make([]byte, 0, 20)
	k = append(k, prefixPoint)
	k = append(k, timeKey(t)...)
	return append(k, idKey(id)...)
}

func pendingKey(t time.Time, id string) []byte { return append(timeKey(t), idKey(id)...) }

// scopeKey names the nested bucket of a scope. The first byte says the kind
// so that a guild and a user with the same id never share a bucket. A user
// in a server has no bucket of its own (see memberScope): it reads the
// user's.
func scopeKey(s digitbot.Scope) []byte {
	switch {
	case s.GuildID == "" && s.UserID == "":
		return []byte{'a'}
	case s.UserID == "":
		return append([]byte{'g'}, s.GuildID...)
	default:
		return append([]byte{'u'}, s.UserID...)
	}
}

// memberScope reports whether s is a user in one server. Its statistics,
// history and export are drawn from the user's scope, keeping the points
// whose record is in that server: that costs a record read per evaluation
// of the user (everywhere), but saves a fourth copy of every aggregate,
// day and point, about 100 of the bytes each evaluation costs.
func memberScope(s digitbot.Scope) bool { return s.GuildID != "" && s.UserID != "" }

// keepsDays reports whether a scope keeps per-day aggregates. A user's
// scope does not: its Daily is summed from its points when asked (a user
// has hundreds of evaluations, not the whole file's), which saves about 25
// bytes per evaluation.
func keepsDays(s digitbot.Scope) bool { return s.UserID == "" }

// scopesOf lists the scopes an evaluation or prediction counts in: the
// whole file, its server, and its user.
func scopesOf(guildID, userID string) []digitbot.Scope {
	s := []digitbot.Scope{{}, {UserID: userID}}
	if guildID != "" {
		s = append(s, digitbot.Scope{GuildID: guildID})
	}
	return s
}

// probScale is the unit probabilities and confidences are stored in:
// 1/10,000, four decimals. Finer than any figure the bot shows, it fits a
// uint16, and a decimal such as 0.93 reads back as 0.93.
const probScale = 10000

func quantise(f float64) uint16 { return uint16(math.Round(f * probScale)) }

func dequantise(q uint16) float64 { return float64(q) / probScale }

// pointCorrect marks a right verdict in a point's uint16: confidences in
// probScale units need 14 bits.
const pointCorrect = 1 << 15

// encodePoint encodes what Stats.Recent needs of an evaluation: a uint16
// per digit verdict (the confidence, and pointCorrect when right), nothing
// for a segmentation error.
func encodePoint(e digitbot.Evaluation) []byte {
	vs := e.DigitVerdicts()
	v := make([]byte, 0, 2*len(vs))
	for _, d := range vs {
		q := quantise(d.Confidence)
		if d.Predicted == d.True {
			q |= pointCorrect
		}
		v = binary.BigEndian.AppendUint16(v, q)
	}
	return v
}

// decodePoint appends the digit verdicts of one point to ps.
func decodePoint(ps []digitbot.Point, k, v []byte) ([]digitbot.Point, error) {
	if len(k) < 9 || len(v)%2 != 0 {
		return ps, errors.New("corrupt stats point")
	}
	t := keyTime(k[1:9])
	for ; len(v) > 0; v = v[2:] {
		q := binary.BigEndian.Uint16(v)
		ps = append(ps, digitbot.Point{Time: t, Confidence: dequantise(q &^ pointCorrect), Correct: q&pointCorrect != 0})
	}
	return ps, nil
}

// totals is the aggregate of a scope, kept in its 0x01 key.
type totals struct {
	Total, Hits int64
	ConfSum     int64 // fixed point, see confScale
	Digits      [10]struct{ Count, Hits int64 }
	Confusion   [10][10]int64
	Numbers     struct {
		Count, Hits, SegmentationErrors int64
		ByLength                        [digitbot.MaxNumberDigits + 1]struct{ Count, Hits int64 }
	}
}

// add counts e once (sign = 1) or removes it (sign = -1): each digit
// verdict in the per-digit figures, and a number reading in Numbers.
func (t *totals) add(e digitbot.Evaluation, sign int64) {
	for _, v := range e.DigitVerdicts() {
		t.Total += sign
		t.ConfSum += sign * confFixed(v.Confidence)
		t.Digits[v.True].Count += sign
		t.Confusion[v.True][v.Predicted] += sign
		if v.Predicted == v.True {
			t.Hits += sign
			t.Digits[v.True].Hits += sign
		}
	}
	if e.Number == nil {
		return
	}
	n := &t.Numbers
	n.Count += sign
	if e.Correct() {
		n.Hits += sign
	}
	if e.SegmentationError() {
		n.SegmentationErrors += sign
	}
	if l := len(e.Number.True); l > 0 && l <= digitbot.MaxNumberDigits {
		n.ByLength[l].Count += sign
		if e.Correct() {
			n.ByLength[l].Hits += sign
		}
	}
}

// empty reports whether nothing is counted any more.
func (t *totals) empty() bool { return t.Total == 0 && t.Numbers.Count == 0 }

// totalsFormat 2 appends the number counts to format 1 (schema v1).
const totalsFormat = 2

func (t *totals) encode() []byte {
	b := make([]byte, 0, 200)
	b = append(b, totalsFormat)
	b = binary.AppendVarint(b, t.Total)
	b = binary.AppendVarint(b, t.Hits)
	b = binary.AppendVarint(b, t.ConfSum)
	for d := range t.Digits {
		b = binary.AppendVarint(b, t.Digits[d].Count)
		b = binary.AppendVarint(b, t.Digits[d].Hits)
	}
	for i := range t.Confusion {
		for j := range t.Confusion[i] {
			b = binary.AppendVarint(b, t.Confusion[i][j])
		}
	}
	n := &t.Numbers
	b = binary.AppendVarint(b, n.Count)
	b = binary.AppendVarint(b, n.Hits)
	b = binary.AppendVarint(b, n.SegmentationErrors)
	for l := range n.ByLength {
		b = binary.AppendVarint(b, n.ByLength[l].Count)
		b = binary.AppendVarint(b, n.ByLength[l].Hits)
	}
	return b
}

// varintReader reads consecutive varints and remembers the first error.
type varintReader struct {
	b   []byte
	err error
}

func (r *varintReader) next() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errors.New("truncated aggregate")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func decodeTotals(v []byte) (totals, error) {
	var t totals
	if len(v) == 0 {
		return t, nil
	}
	if v[0] != totalsFormat {
		return t, fmt.Errorf("unknown aggregate format %d", v[0])
	}
	r := varintReader{b: v[1:]}
	t.Total, t.Hits, t.ConfSum = r.next(), r.next(), r.next()
	for d := range t.Digits {
		t.Digits[d].Count, t.Digits[d].Hits = r.next(), r.next()
	}
	for i := range t.Confusion {
		for j := range t.Confusion[i] {
			t.Confusion[i][j] = r.next()
		}
	}
	n := &t.Numbers
	n.Count, n.Hits, n.SegmentationErrors = r.next(), r.next(), r.next()
	for l := range n.ByLength {
		n.ByLength[l].Count, n.ByLength[l].Hits = r.next(), r.next()
	}
	return t, r.err
}

// dayAgg is one UTC day of a scope.
type dayAgg struct{ Count, Hits, ConfSum int64 }

func (d dayAgg) encode() []byte {
	b := binary.AppendVarint(nil, d.Count)
	b = binary.AppendVarint(b, d.Hits)
	return binary.AppendVarint(b, d.ConfSum)
}

func decodeDay(v []byte) (dayAgg, error) {
	r := varintReader{b: v}
	d := dayAgg{Count: r.next(), Hits: r.next(), ConfSum: r.next()}
	return d, r.err
}
