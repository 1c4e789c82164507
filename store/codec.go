package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/digitbot/digitbot"
)

// Storage layout (schema version 1). All buckets are top level:
//
//	meta         "schema_version" -> uint32 big-endian
//	predictions  prediction id -> prediction record (see encodePrediction)
//	pending      time(8) + prediction id -> empty; unevaluated predictions by
//	             creation time, so Sweep reads only the expired head
//	evaluations  prediction id -> Evaluation as JSON
//	guilds       guild id -> GuildConfig as JSON
//	scopes       one nested bucket per scope key (see scopeKey) holding
//	             0x01               -> totals (aggregate, varints)
//	             0x02 + day(4)      -> one UTC day's count, hits, confidence sum
//	             0x03 + pred id     -> empty; the scope's predictions, pending or
//	                                   not (user and guild scopes only), so
//	                                   ForgetUser/PurgeGuild find everything
//	             0x04 + time(8) + id -> point: confidence(8) + correct(1)
//
// Records (predictions, evaluations, configs) are JSON: they are read one at
// a time, JSON lets fields be added without a migration, and a file can be
// inspected with `bbolt get`. The prediction's 28x28 input is kept outside the
// JSON, run-length encoded (mostly background, ~200 bytes instead of 784, or
// 1,045 in base64). Aggregates and points are compact binary because Stats
// reads hundreds of them per call and every evaluation rewrites four totals.
// Times in keys are big-endian with the sign bit flipped, so byte order is
// time order and range scans are cursor seeks.
var (
	bucketMeta        = []byte("meta")
	bucketPredictions = []byte("predictions")
	bucketPending     = []byte("pending")
	bucketEvaluations = []byte("evaluations")
	bucketGuilds      = []byte("guilds")
	bucketScopes      = []byte("scopes")

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

func predKey(id string) []byte { return append([]byte{prefixPred}, id...) }

func pointKey(t time.Time, id string) []byte {
	k := make([]byte, 0, 9+len(id))
	k = append(k, prefixPoint)
	k = append(k, timeKey(t)...)
	return append(k, id...)
}

func pendingKey(t time.Time, id string) []byte { return append(timeKey(t), id...) }

// scopeKey names the nested bucket of a scope. The first byte says the kind
// so that a guild and a user with the same id never share a bucket.
func scopeKey(s digitbot.Scope) []byte {
	switch {
	case s.GuildID == "" && s.UserID == "":
		return []byte{'a'}
	case s.UserID == "":
		return append([]byte{'g'}, s.GuildID...)
	case s.GuildID == "":
		return append([]byte{'u'}, s.UserID...)
	default:
		k := binary.AppendUvarint([]byte{'m'}, uint64(len(s.GuildID)))
		k = append(k, s.GuildID...)
		return append(k, s.UserID...)
	}
}

// memberOfKey decodes a 'm' scope key; ok is false for other kinds.
func memberOfKey(k []byte) (guild, user string, ok bool) {
	if len(k) < 2 || k[0] != 'm' {
		return "", "", false
	}
	n, w := binary.Uvarint(k[1:])
	if w <= 0 || uint64(len(k)-1-w) < n {
		return "", "", false
	}
	rest := k[1+w:]
	return string(rest[:n]), string(rest[n:]), true
}

// scopesOf lists the scopes an evaluation or prediction counts in: the
// whole file, its server, its user, and the user in that server.
func scopesOf(guildID, userID string) []digitbot.Scope {
	s := []digitbot.Scope{{}, {UserID: userID}}
	if guildID != "" {
		s = append(s, digitbot.Scope{GuildID: guildID}, digitbot.Scope{GuildID: guildID, UserID: userID})
	}
	return s
}

// point encodes what Stats.Recent needs of an evaluation.
func encodePoint(e digitbot.Evaluation) []byte {
	v := make([]byte, 9)
	binary.BigEndian.PutUint64(v, math.Float64bits(e.Confidence))
	if e.Correct() {
		v[8] = 1
	}
	return v
}

func decodePoint(k, v []byte) (digitbot.Point, error) {
	if len(k) < 9 || len(v) != 9 {
		return digitbot.Point{}, errors.New("corrupt stats point")
	}
	return digitbot.Point{
		Time:       keyTime(k[1:9]),
		Confidence: math.Float64frombits(binary.BigEndian.Uint64(v)),
		Correct:    v[8] == 1,
	}, nil
}

// totals is the aggregate of a scope, kept in its 0x01 key.
type totals struct {
	Total, Hits int64
	ConfSum     int64 // fixed point, see confScale
	Digits      [10]struct{ Count, Hits int64 }
	Confusion   [10][10]int64
}

// add counts e once (sign = 1) or removes it (sign = -1).
func (t *totals) add(e digitbot.Evaluation, sign int64) {
	t.Total += sign
	t.ConfSum += sign * confFixed(e.Confidence)
	t.Digits[e.TrueDigit].Count += sign
	t.Confusion[e.TrueDigit][e.Predicted] += sign
	if e.Correct() {
		t.Hits += sign
		t.Digits[e.TrueDigit].Hits += sign
	}
}

const totalsFormat = 1

func (t *totals) encode() []byte {
	b := make([]byte, 0, 160)
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

// Prediction records: format byte, uvarint length of the run-length encoded
// input, the input, then the Prediction as JSON (which omits Input).
const predictionFormat = 1

func encodePrediction(p *digitbot.Prediction) ([]byte, error) {
	js, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	in := encodeRuns(p.Input[:])
	b := make([]byte, 0, 1+binary.MaxVarintLen32+len(in)+len(js))
	b = append(b, predictionFormat)
	b = binary.AppendUvarint(b, uint64(len(in)))
	b = append(b, in...)
	return append(b, js...), nil
}

func decodePrediction(v []byte) (digitbot.Prediction, error) {
	var p digitbot.Prediction
	if len(v) == 0 || v[0] != predictionFormat {
		return p, errors.New("unknown prediction record format")
	}
	n, w := binary.Uvarint(v[1:])
	if w <= 0 || uint64(len(v)-1-w) < n {
		return p, errors.New("truncated prediction record")
	}
	in := v[1+w : 1+w+int(n)]
	if err := json.Unmarshal(v[1+w+int(n):], &p); err != nil {
		return p, err
	}
	if err := decodeRuns(in, p.Input[:]); err != nil {
		return p, err
	}
	return p, nil
}

// encodeRuns writes pixels as (zero run, literal length, literal bytes)
// triples of uvarints: digits are mostly background.
func encodeRuns(px []uint8) []byte {
	var b []byte
	for i := 0; i < len(px); {
		z := i
		for z < len(px) && px[z] == 0 {
			z++
		}
		l := z
		for l < len(px) && px[l] != 0 {
			l++
		}
		b = binary.AppendUvarint(b, uint64(z-i))
		b = binary.AppendUvarint(b, uint64(l-z))
		b = append(b, px[z:l]...)
		i = l
	}
	return b
}

func decodeRuns(b []byte, px []uint8) error {
	i := 0
	for len(b) > 0 {
		z, n := binary.Uvarint(b)
		if n <= 0 {
			return errors.New("corrupt input runs")
		}
		b = b[n:]
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) || z+l > uint64(len(px)-i) {
			return errors.New("corrupt input runs")
		}
		b = b[n:]
		for j := range z {
			px[i+int(j)] = 0
		}
		i += int(z)
		copy(px[i:], b[:l])
		i += int(l)
		b = b[l:]
	}
	if i != len(px) {
		return errors.New("input runs do not cover the image")
	}
	return nil
}

func decodeEvaluation(v []byte) (digitbot.Evaluation, error) {
	var e digitbot.Evaluation
	err := json.Unmarshal(v, &e)
	return e, err
}
