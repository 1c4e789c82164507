package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/digitbot/digitbot"
	bolt "go.etcd.io/bbolt"
)

// recordFormat is the first byte of a schema v2 prediction record. Schema
// v1 records start with 1 (see migrate.go).
const recordFormat = 2

// Bits of a record's second byte.
const (
	// flagEvaluated: the verdict is appended after the prediction.
	flagEvaluated = 1 << iota
	// flagMirror: Digits holds one reading equal to the top-level digit,
	// confidence, probabilities and input, so only its box is stored.
	flagMirror
	// flagNumberVerdict: the verdict is a true number, not a true digit.
	flagNumberVerdict
)

// record is a stored prediction and, once evaluated, its verdict.
//
// Layout: format(1), flags(1), model (uvarint, see modelIndex), created at
// (varint ns, relative to idNanos), then the strings guild, channel, message, user, attachment,
// file name and number (see appendString); the top-level reading (digit,
// confidence and probabilities, see appendReading) and input (uvarint
// length + coded picture, see encodePixels); the number of digit readings
// (uvarint), then with flagMirror the one box (four varints),
// otherwise per reading its digit, confidence, probabilities, box and
// input. An evaluation appends the time since creation (varint ns) and the
// true digit (1 byte) or, with flagNumberVerdict, the true number (string).
type record struct {
	P           digitbot.Prediction
	Evaluated   bool
	EvaluatedAt time.Time
	TrueDigit   int    // a one-digit reading's verdict
	TrueNumber  string // a number reading's verdict
}

// evaluation is the Evaluation the record holds; only meaningful when
// Evaluated. The prediction's fields are not copied into the record: they
// are read from the prediction.
func (r *record) evaluation() digitbot.Evaluation {
	p := &r.P
	e := digitbot.Evaluation{
		PredictionID: p.ID, GuildID: p.GuildID, ChannelID: p.ChannelID, UserID: p.UserID,
		FileName: p.FileName, Predicted: p.Digit, Confidence: p.Confidence, TrueDigit: r.TrueDigit,
		PredictedAt: p.CreatedAt, EvaluatedAt: r.EvaluatedAt,
	}
	if p.IsNumber() {
		e.Predicted, e.TrueDigit = -1, -1
		conf := make([]float64, len(p.Digits))
		for i, d := range p.Digits {
			conf[i] = d.Confidence
		}
		e.Number = &digitbot.NumberVerdict{Predicted: p.Number, True: r.TrueNumber, Confidences: conf}
	}
	return e
}

// idNanos is the creation time an id drawn by newID holds (its first ten
// characters are the millisecond), in ns since 1970; 0 for other ids. A
// record keeps its creation time relative to it: the nanoseconds within
// the millisecond take three bytes instead of nine.
func idNanos(id string) int64 {
	k := idKey(id)
	if len(k) != 11 || k[0] != 0 {
		return 0
	}
	// The first 50 of the key's 80 bits.
	ms := (uint64(k[1])<<32 | uint64(k[2])<<24 | uint64(k[3])<<16 | uint64(k[4])<<8 | uint64(k[5])) << 10
	ms |= uint64(k[6]) << 2
	ms |= uint64(k[7]) >> 6
	return int64(ms) * int64(time.Millisecond)
}

// snowflake reports whether s is a decimal number that reads back the same
// from a uint64 (no sign, no leading zero): Discord's ids are.
func snowflake(s string) (uint64, bool) {
	if len(s) == 0 || len(s) > 19 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// appendString writes a uvarint header, then either a decimal number (see
// snowflake) as a uvarint (header 1) or, from 2^56 on (Discord's ids since
// 2016) where a uvarint takes 9 bytes, as 8 bytes big-endian (header 3); or
// else the bytes (header 2 x length).
func appendString(b []byte, s string) []byte {
	if n, ok := snowflake(s); ok {
		if n >= 1<<56 {
			return binary.BigEndian.AppendUint64(append(b, 3), n)
		}
		return binary.AppendUvarint(append(b, 1), n)
	}
	b = binary.AppendUvarint(b, 2*uint64(len(s)))
	return append(b, s...)
}

// storedString is how appendString writes s, for tests that look for an id
// in every byte of the file.
func storedString(s string) []byte { return appendString(nil, s) }

// appendReading writes the digit (+1, so that a number's -1 fits a byte)
// and, as uvarints in probScale units, the confidence and the ten
// probabilities: a softmax's small probabilities take one byte, none more
// than two.
func appendReading(b []byte, digit int, conf float64, probs *[10]float64) []byte {
	b = append(b, byte(digit+1))
	b = binary.AppendUvarint(b, uint64(quantise(conf)))
	for _, f := range probs {
		b = binary.AppendUvarint(b, uint64(quantise(f)))
	}
	return b
}

func appendInput(b []byte, px *[digitbot.InputSide * digitbot.InputSide]uint8) []byte {
	coded := encodePixels(nil, px)
	b = binary.AppendUvarint(b, uint64(len(coded)))
	return append(b, coded...)
}

func appendBox(b []byte, box [4]int) []byte {
	for _, v := range box {
		b = binary.AppendVarint(b, int64(v))
	}
	return b
}

// mirrors reports whether p's one digit reading repeats the top-level one
// (as stored: to probScale).
func mirrors(p *digitbot.Prediction) bool {
	if len(p.Digits) != 1 {
		return false
	}
	d := &p.Digits[0]
	if d.Digit != p.Digit || quantise(d.Confidence) != quantise(p.Confidence) || d.Input != p.Input {
		return false
	}
	for i := range d.Probabilities {
		if quantise(d.Probabilities[i]) != quantise(p.Probabilities[i]) {
			return false
		}
	}
	return true
}

// encodeRecord encodes a pending prediction (validated by SavePrediction).
// models is the models bucket of a write transaction: a model seen for
// the first time gets a number.
func encodeRecord(models *bolt.Bucket, p *digitbot.Prediction) ([]byte, error) {
	model, err := modelIndex(models, p.ModelSHA256)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 256+len(p.Digits)*200)
	var flags byte
	if mirrors(p) {
		flags |= flagMirror
	}
	b = append(b, recordFormat, flags)
	b = binary.AppendUvarint(b, model)
	b = binary.AppendVarint(b, p.CreatedAt.UnixNano()-idNanos(p.ID))
	for _, s := range []string{p.GuildID, p.ChannelID, p.MessageID, p.UserID, p.AttachmentID, p.FileName, p.Number} {
		b = appendString(b, s)
	}
	b = appendReading(b, p.Digit, p.Confidence, &p.Probabilities)
	b = appendInput(b, &p.Input)
	b = binary.AppendUvarint(b, uint64(len(p.Digits)))
	if flags&flagMirror != 0 {
		return appendBox(b, p.Digits[0].Box), nil
	}
	for i := range p.Digits {
		d := &p.Digits[i]
		b = appendReading(b, d.Digit, d.Confidence, &d.Probabilities)
		b = appendBox(b, d.Box)
		b = appendInput(b, &d.Input)
	}
	return b, nil
}

// appendVerdict returns the record v with the verdict appended. v is not
// modified (bbolt's values are read-only).
func appendVerdict(v []byte, createdAt, evaluatedAt time.Time, trueDigit int, trueNumber string, number bool) []byte {
	b := make([]byte, 0, len(v)+24)
	b = append(b, v...)
	b[1] |= flagEvaluated
	b = binary.AppendVarint(b, evaluatedAt.Sub(createdAt).Nanoseconds())
	if number {
		b[1] |= flagNumberVerdict
		return appendString(b, trueNumber)
	}
	return append(b, byte(trueDigit))
}

// recordEvaluated reads the evaluated flag without decoding the record.
func recordEvaluated(v []byte) bool { return len(v) > 1 && v[1]&flagEvaluated != 0 }

// recordReader reads a record's fields and remembers the first error.
type recordReader struct {
	b          []byte
	err        error
	skipInputs bool
}

var errTruncated = errors.New("truncated record")

func (r *recordReader) take(n int) []byte {
	if r.err != nil || n < 0 || len(r.b) < n {
		r.err = errTruncated
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *recordReader) byte() byte {
	if v := r.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *recordReader) probability() float64 {
	q := r.uvarint()
	if q > probScale && r.err == nil {
		r.err = errors.New("probability over 1 in record")
	}
	return dequantise(uint16(min(q, probScale)))
}

func (r *recordReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errTruncated
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *recordReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errTruncated
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *recordReader) string() string {
	h := r.uvarint()
	switch h {
	case 1:
		return strconv.FormatUint(r.uvarint(), 10)
	case 3:
		if v := r.take(8); v != nil {
			return strconv.FormatUint(binary.BigEndian.Uint64(v), 10)
		}
		return ""
	}
	if h%2 != 0 || h/2 > uint64(len(r.b)) {
		if r.err == nil {
			r.err = errTruncated
		}
		return ""
	}
	return string(r.take(int(h / 2)))
}

func (r *recordReader) reading(digit *int, conf *float64, probs *[10]float64) {
	*digit = int(r.byte()) - 1
	*conf = r.probability()
	for i := range probs {
		probs[i] = r.probability()
	}
}

func (r *recordReader) input(px *[digitbot.InputSide * digitbot.InputSide]uint8) {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.err = errTruncated
	}
	coded := r.take(int(n))
	if r.err == nil && !r.skipInputs {
		decodePixels(coded, px)
	}
}

func (r *recordReader) box() (box [4]int) {
	for i := range box {
		box[i] = int(r.varint())
	}
	return box
}

// decodeRecord decodes the record under key id (see idKey). models is the
// models bucket of the same transaction.
func decodeRecord(models *bolt.Bucket, id, v []byte) (record, error) {
	return decodeRecordInputs(models, id, v, true)
}

// decodeVerdict decodes the record of prediction id but leaves the 28x28
// inputs zero: an evaluation does not show them, and decoding them is most
// of a record's decoding time.
func decodeVerdict(models *bolt.Bucket, id, v []byte) (record, error) {
	return decodeRecordInputs(models, id, v, false)
}

func decodeRecordInputs(models *bolt.Bucket, id, v []byte, inputs bool) (record, error) {
	var rec record
	if len(v) < 2 || v[0] != recordFormat {
		return rec, errors.New("unknown prediction record format")
	}
	flags := v[1]
	r := recordReader{b: v[2:], skipInputs: !inputs}
	p := &rec.P
	p.ID = keyID(id)
	model := r.uvarint()
	p.CreatedAt = time.Unix(0, r.varint()+idNanos(p.ID)).UTC()
	for _, s := range []*string{&p.GuildID, &p.ChannelID, &p.MessageID, &p.UserID, &p.AttachmentID, &p.FileName, &p.Number} {
		*s = r.string()
	}
	r.reading(&p.Digit, &p.Confidence, &p.Probabilities)
	r.input(&p.Input)
	n := r.uvarint()
	if n > digitbot.MaxNumberDigits {
		return rec, fmt.Errorf("record holds %d digit readings", n)
	}
	if n > 0 {
		p.Digits = make([]digitbot.DigitReading, n)
	}
	if flags&flagMirror != 0 {
		if n != 1 {
			return rec, errors.New("mirrored record without exactly one digit reading")
		}
		p.Digits[0] = digitbot.DigitReading{Digit: p.Digit, Confidence: p.Confidence, Probabilities: p.Probabilities, Input: p.Input, Box: r.box()}
	} else {
		for i := range p.Digits {
			d := &p.Digits[i]
			r.reading(&d.Digit, &d.Confidence, &d.Probabilities)
			d.Box = r.box()
			r.input(&d.Input)
		}
	}
	if flags&flagEvaluated != 0 {
		rec.Evaluated = true
		rec.EvaluatedAt = p.CreatedAt.Add(time.Duration(r.varint()))
		rec.TrueDigit = -1
		if flags&flagNumberVerdict != 0 {
			rec.TrueNumber = r.string()
		} else {
			rec.TrueDigit = int(r.byte())
		}
	}
	if r.err != nil {
		return rec, r.err
	}
	if len(r.b) != 0 {
		return rec, errors.New("trailing bytes after the record")
	}
	sha, err := modelSHA(models, model)
	p.ModelSHA256 = sha
	return rec, err
}

// modelIndex returns the number of a model sha256 in the models bucket,
// assigning the next one to a model seen for the first time; 0 is none.
func modelIndex(models *bolt.Bucket, sha string) (uint64, error) {
	if sha == "" {
		return 0, nil
	}
	key := append([]byte{'s'}, sha...)
	if v := models.Get(key); v != nil {
		n, w := binary.Uvarint(v)
		if w <= 0 || w != len(v) {
			return 0, errors.New("corrupt model number")
		}
		return n, nil
	}
	n, err := models.NextSequence()
	if err != nil {
		return 0, err
	}
	num := binary.AppendUvarint(nil, n)
	if err := models.Put(key, num); err != nil {
		return 0, err
	}
	return n, models.Put(append([]byte{'n'}, num...), []byte(sha))
}

func modelSHA(models *bolt.Bucket, n uint64) (string, error) {
	if n == 0 {
		return "", nil
	}
	v := models.Get(binary.AppendUvarint([]byte{'n'}, n))
	if v == nil {
		return "", fmt.Errorf("record names unknown model %d", n)
	}
	return string(v), nil
}
