package classifier

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The entropy-coded part of a baseline JPEG for the luma decoder
// (jpegreduced.go): Huffman tables, the bit reader, one block's
// coefficients, restart markers.

// huffTable is one Huffman table: a lookup of the first lookBits bits for
// short codes, and the canonical code ranges for longer ones.
type huffTable struct {
	// look[b] for the next lookBits bits b: code length << 8 | symbol, or
	// 0 when the code is longer than lookBits.
	look    [1 << lookBits]uint16
	maxCode [17]int32 // largest code of each length, -1 if none
	valPtr  [17]int32 // index in vals of the first code of each length, minus that code
	vals    [256]uint8
	// fast[b] decodes, for the next lookBits bits b, a whole coefficient
	// whose code and value bits fit in them. For an AC table: value << 16
	// | run << 8 | bits used, 0 when they do not fit (or for end of block
	// and ZRL). For a DC table: value << 8 | bits used, 0 when they do
	// not fit.
	fast [1 << lookBits]int32
	// skip, for an AC table, once buildSkip has made it (only for big
	// pictures decoded at a reduced scale, where it pays for its
	// building): for the next skipBits bits b, the whole symbols that fit
	// in them, stopping after an end of block: the bits they use | the
	// coefficients they advance << 8 (an end of block counting 1) |
	// skipEOB when the last is an end of block; 0 when not even one
	// fits.
	skip      *[1 << skipBits]uint32
	skipReady bool // skip is this table's (the array may be an earlier one's)
	defined   bool
	// built is what the table was built from (class, counts and symbols),
	// so that the next picture's identical table (most files carry the
	// standard tables) is taken as it is, its skip lookup included.
	built []byte
}

const (
	lookBits = 10
	skipBits = 12
	skipEOB  = 1 << 16
)

// build makes the table from a DHT segment's counts and symbols; ac says
// which class it is (fast holds whole coefficients of that class).
func (t *huffTable) build(counts *[16]uint8, vals []uint8, ac bool) error {
	total := 0
	for _, c := range counts {
		total += int(c)
	}
	if total == 0 || total > 256 || total != len(vals) {
		return fmt.Errorf("jpeg: bad Huffman table (%d codes)", total)
	}
	if t.sameSource(counts, vals, ac) {
		t.defined = true
		return nil
	}
	// (The skip array and the source's room are reused; the skip lookup
	// is not ready.)
	*t = huffTable{defined: true, skip: t.skip, built: t.built[:0]}
	copy(t.vals[:], vals)
	code, k := int32(0), 0
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		if code+n > 1<<l {
			return errors.New("jpeg: bad Huffman table (codes overflow)")
		}
		t.valPtr[l] = int32(k) - code
		if n == 0 {
			t.maxCode[l] = -1
		} else {
			t.maxCode[l] = code + n - 1
			if l <= lookBits {
				for i := range n {
					c := code + i
					shift := uint(lookBits - l)
					for j := int32(0); j < 1<<shift; j++ {
						t.look[c<<shift|j] = uint16(l)<<8 | uint16(vals[k+int(i)])
					}
				}
			}
		}
		k += int(n)
		code += n
		if code > 1<<l {
			return errors.New("jpeg: bad Huffman table (codes overflow)")
		}
		code <<= 1
	}
	defer t.keepSource(counts, vals, ac) // once built without error
	if !ac {
		t.buildFastDC()
		return nil
	}
	for b, e := range t.look {
		l, rs := uint(e>>8), uint(e&255)
		run, size := rs>>4, rs&15
		if e == 0 || size == 0 || l+size > lookBits {
			continue
		}
		m := int32(b>>(lookBits-l-size)) & (1<<size - 1)
		if m < 1<<(size-1) {
			m += -1<<size + 1
		}
		t.fast[b] = m<<16 | int32(run)<<8 | int32(l+size)
	}
	return nil
}

// sameSource reports whether t was built, completely, from this class,
// counts and symbols.
func (t *huffTable) sameSource(counts *[16]uint8, vals []uint8, ac bool) bool {
	b := t.built
	return len(b) == 1+16+len(vals) && (b[0] == 1) == ac && string(b[1:17]) == string(counts[:]) && string(b[17:]) == string(vals)
}

func (t *huffTable) keepSource(counts *[16]uint8, vals []uint8, ac bool) {
	class := byte(0)
	if ac {
		class = 1
	}
	t.built = append(append(append(t.built[:0], class), counts[:]...), vals...)
}

func (t *huffTable) buildFastDC() {
	for b, e := range t.look {
		l, size := uint(e>>8), uint(e&255)
		if e == 0 || size > 15 || l+size > lookBits {
			continue // (a DC size over 15 is an error the slow path reports)
		}
		var m int32
		if size > 0 {
			m = int32(b>>(lookBits-l-size)) & (1<<size - 1)
			if m < 1<<(size-1) {
				m += -1<<size + 1
			}
		}
		t.fast[b] = m<<8 | int32(l+size)
	}
}

// buildSkip makes t.skip (see huffTable) for an AC table.
func (t *huffTable) buildSkip() {
	if t.skip == nil {
		t.skip = new([1 << skipBits]uint32)
	}
	t.skipReady = true
	for b := range t.skip {
		used, adv, eob := uint(0), 0, false
		for adv < 64 {
			// The next lookBits bits after those used (zeros past the
			// end of b: a code must end inside b to count).
			x := uint(b) << used & (1<<skipBits - 1) >> (skipBits - lookBits)
			e := t.look[x]
			l, run, size := uint(e>>8), int(e>>4&15), uint(e&15)
			if e == 0 || used+l+size > skipBits {
				break
			}
			used += l + size
			switch {
			case size == 0 && run != 15:
				adv++
				eob = true
			case size == 0:
				adv += 16
			default:
				adv += run + 1
			}
			if eob {
				break
			}
		}
		if used == 0 {
			t.skip[b] = 0
			continue
		}
		v := uint32(used) | uint32(min(adv, 255))<<8
		if eob {
			v |= skipEOB
		}
		t.skip[b] = v
	}
}

// bitReader reads entropy-coded bits, removing stuffed zero bytes. At a
// marker it stops consuming and feeds zero bits (as libjpeg does at a
// premature end); the number of blocks decoded is fixed by the frame, so
// this cannot loop.
type bitReader struct {
	data   []byte
	pos    int
	acc    uint64 // bits, most significant first
	n      uint   // valid bits in acc
	marker bool   // stopped at a marker (or the end of the data)
	pad    uint   // zero bits fed after the data stopped
}

// overrun reports whether bits past the scan's data were used: the scan
// is truncated or damaged (libjpeg warns and goes on; we refuse it, as
// image/jpeg does).
func (r *bitReader) overrun() bool { return r.pad > r.n }

func (r *bitReader) fill() {
	// Whole bytes at once while none of the next eight is 0xFF.
	if !r.marker && r.pos+8 <= len(r.data) {
		x := binary.BigEndian.Uint64(r.data[r.pos:])
		if v := ^x; (v-0x0101010101010101)&^v&0x8080808080808080 == 0 {
			k := (63 - r.n) >> 3 // bytes that fit
			r.acc |= x >> (64 - 8*k) << (64 - r.n - 8*k)
			r.n += 8 * k
			r.pos += int(k)
			return
		}
	}
	for r.n <= 56 {
		var b byte
		if !r.marker && r.pos < len(r.data) {
			b = r.data[r.pos]
			if b == 0xff {
				if r.pos+1 < len(r.data) && r.data[r.pos+1] == 0 {
					r.pos += 2
				} else {
					r.marker, b = true, 0
				}
			} else {
				r.pos++
			}
		} else {
			r.marker = true
		}
		if r.marker {
			r.pad += 8
		}
		r.acc |= uint64(b) << (56 - r.n)
		r.n += 8
	}
}

// next8 returns the next 8 bytes of data when none of them is 0xFF and
// the reader has not stopped at a marker: bytes that go into the
// accumulator as they are (fill's first case, for the block decoder to
// do inline).
func (r *bitReader) next8() (uint64, bool) {
	if r.marker || r.pos+8 > len(r.data) {
		return 0, false
	}
	x := binary.BigEndian.Uint64(r.data[r.pos:])
	v := ^x
	return x, (v-0x0101010101010101)&^v&0x8080808080808080 == 0
}

// decode reads one Huffman-coded symbol.
func (r *bitReader) decode(t *huffTable) (uint8, error) {
	if r.n < 16 {
		r.fill()
	}
	if e := t.look[r.acc>>(64-lookBits)]; e != 0 {
		l := uint(e >> 8)
		r.acc <<= l
		r.n -= l
		return uint8(e), nil
	}
	for l := lookBits + 1; l <= 16; l++ {
		code := int32(r.acc >> (64 - uint(l)))
		if code <= t.maxCode[l] {
			r.acc <<= uint(l)
			r.n -= uint(l)
			i := t.valPtr[l] + code
			if i < 0 || i > 255 {
				return 0, errors.New("jpeg: bad Huffman code")
			}
			return t.vals[i], nil
		}
	}
	return 0, errors.New("jpeg: bad Huffman code")
}

// receive reads s bits (s ≤ 16) as a signed coefficient (JPEG's EXTEND).
func (r *bitReader) receive(s uint) int32 {
	if s == 0 {
		return 0
	}
	if r.n < s {
		r.fill()
	}
	v := int32(r.acc >> (64 - s))
	r.acc <<= s
	r.n -= s
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// block decodes one block: it returns the DC difference and stores the
// dequantised AC coefficients of zigzag index up to last in coef
// (row-major); the others are decoded and dropped. It reads the same
// symbols as blockBySymbol (jpegentropy_reference.go), the plain decoding
// the tests compare it with, with three shortcuts: the DC difference's
// code and value bits in one lookup, AC coefficients in one lookup
// (both in huffTable.fast), and, for the coefficients it drops, several whole symbols in
// one lookup when the table has them (skip, built by buildSkip).
func (r *bitReader) block(dcT, acT *huffTable, coef *[64]int32, q *[64]uint16, last int) (dc int32, hasAC bool, err error) {
	if r.n < 32 {
		r.fill()
	}
	acc, n := r.acc, r.n
	if f := dcT.fast[acc>>(64-lookBits)]; f != 0 {
		l := uint(f & 255)
		acc <<= l
		n -= l
		dc = f >> 8
	} else {
		s, err := r.decode(dcT)
		if err != nil {
			return 0, false, err
		}
		if s > 16 {
			return 0, false, errors.New("jpeg: bad DC coefficient")
		}
		dc = r.receive(uint(s))
		acc, n = r.acc, r.n
	}
	k := 1
	// The coefficients kept: values dequantised into coef.
	for k <= last {
		// As many as keptRun can do, then one the slower way.
		var stored bool
		acc, n, k, r.pos, stored = keptRun(acc, n, k, last, &acT.fast, coef, q, r.data, r.pos, r.marker)
		hasAC = hasAC || stored
		if k > last {
			break
		}
		if n < 32 {
			if x, ok := r.next8(); ok {
				k := (63 - n) >> 3 // bytes that fit
				acc |= x >> (64 - 8*k) << (64 - n - 8*k)
				n += 8 * k
				r.pos += int(k)
			} else {
				r.acc, r.n = acc, n
				r.fill()
				acc, n = r.acc, r.n
			}
		}
		if f := acT.fast[acc>>(64-lookBits)]; f != 0 {
			l := uint(f & 255)
			acc <<= l
			n -= l
			k += int(f>>8) & 255
			if k <= last {
				coef[zigzag[k&63]] = (f >> 16) * int32(q[k&63])
				hasAC = true
			}
			k++
			continue
		}
		var rs uint8
		if e := acT.look[acc>>(64-lookBits)]; e != 0 {
			l := uint(e >> 8)
			acc <<= l
			n -= l
			rs = uint8(e)
		} else {
			r.acc, r.n = acc, n
			if rs, err = r.decode(acT); err != nil {
				return 0, false, err
			}
			acc, n = r.acc, r.n
		}
		run, size := int(rs>>4), uint(rs&15)
		if size == 0 {
			if run != 15 {
				r.acc, r.n = acc, n
				return dc, hasAC, nil // end of block
			}
			k += 16
			continue
		}
		k += run
		v := int32(acc >> (64 - size))
		acc <<= size
		n -= size
		if v < 1<<(size-1) {
			v += -1<<size + 1
		}
		if k <= last {
			coef[zigzag[k&63]] = v * int32(q[k&63])
			hasAC = true
		}
		k++
	}
	// The coefficients dropped: only their lengths matter.
	skip := acT.skip
	if !acT.skipReady {
		skip = nil
	}
	for k < 64 {
		if skip != nil {
			// As many as skipRun can do, then one the slower way.
			var eob bool
			acc, n, k, r.pos, eob = skipRun(acc, n, k, skip, r.data, r.pos, r.marker)
			if eob || k >= 64 {
				break
			}
		}
		if n < 32 {
			if x, ok := r.next8(); ok {
				k := (63 - n) >> 3 // bytes that fit
				acc |= x >> (64 - 8*k) << (64 - n - 8*k)
				n += 8 * k
				r.pos += int(k)
			} else {
				r.acc, r.n = acc, n
				r.fill()
				acc, n = r.acc, r.n
			}
		}
		if f := acT.fast[acc>>(64-lookBits)]; f != 0 {
			l := uint(f & 255)
			acc <<= l
			n -= l
			k += int(f>>8)&255 + 1
			continue
		}
		var rs uint8
		if e := acT.look[acc>>(64-lookBits)]; e != 0 {
			l := uint(e >> 8)
			acc <<= l
			n -= l
			rs = uint8(e)
		} else {
			r.acc, r.n = acc, n
			if rs, err = r.decode(acT); err != nil {
				return 0, false, err
			}
			acc, n = r.acc, r.n
		}
		run, size := int(rs>>4), uint(rs&15)
		if size == 0 {
			if run != 15 {
				break // end of block
			}
			k += 16
			continue
		}
		acc <<= size
		n -= size
		k += run + 1
	}
	r.acc, r.n = acc, n
	return dc, hasAC, nil
}

// keptRun decodes coefficients k, k+1, ... while their code and value
// fit the fast table and the bits can be refilled without fill's slow
// case (no 0xFF byte in the next 8, no marker), storing those up to last;
// it stops past last or at the first it cannot do, for block to do the
// slow way. It calls nothing, so that its state stays in registers.
func keptRun(acc uint64, n uint, k, last int, fast *[1 << lookBits]int32, coef *[64]int32, q *[64]uint16, data []byte, pos int, marker bool) (uint64, uint, int, int, bool) {
	stored := false
	for k <= last {
		if n < 32 {
			if marker || pos+8 > len(data) {
				break
			}
			x := binary.BigEndian.Uint64(data[pos:])
			if v := ^x; (v-0x0101010101010101)&^v&0x8080808080808080 != 0 {
				break
			}
			b := (63 - n) >> 3 // bytes that fit
			acc |= x >> ((64 - 8*b) & 63) << ((64 - n - 8*b) & 63)
			n += 8 * b
			pos += int(b)
		}
		f := fast[acc>>(64-lookBits)]
		if f == 0 {
			break
		}
		l := uint(f & 255)
		acc <<= l & 63
		n -= l
		k += int(f>>8) & 255
		if k <= last {
			coef[zigzag[k&63]&63] = (f >> 16) * int32(q[k&63])
			stored = true
		}
		k++
	}
	return acc, n, k, pos, stored
}

// skipRun drops coefficients k, k+1, ... several symbols at a time
// through the skip table, while an entry ends inside the block and the
// bits can be refilled without fill's slow case; eob reports that it read
// the end of block. It calls nothing, as keptRun.
func skipRun(acc uint64, n uint, k int, skip *[1 << skipBits]uint32, data []byte, pos int, marker bool) (_ uint64, _ uint, _ int, _ int, eob bool) {
	for k < 64 {
		if n < 32 {
			if marker || pos+8 > len(data) {
				break
			}
			x := binary.BigEndian.Uint64(data[pos:])
			if v := ^x; (v-0x0101010101010101)&^v&0x8080808080808080 != 0 {
				break
			}
			b := (63 - n) >> 3 // bytes that fit
			acc |= x >> ((64 - 8*b) & 63) << ((64 - n - 8*b) & 63)
			n += 8 * b
			pos += int(b)
		}
		// Whole symbols, as long as they end inside the block (a block's
		// coefficients may end at 63 without an end of block, the next
		// bits then being the next block's).
		e := skip[acc>>(64-skipBits)]
		if e == 0 || k+int(e>>8&255) > 64 {
			break
		}
		l := uint(e & 255)
		acc <<= l & 63
		n -= l
		if e&skipEOB != 0 {
			return acc, n, k, pos, true
		}
		k += int(e>>8) & 255
	}
	return acc, n, k, pos, false
}

// restart resynchronises at an RSTn marker after a restart interval.
func (r *bitReader) restart() error {
	if r.overrun() {
		return errors.New("jpeg: a restart interval runs past its data")
	}
	// Unused bits before the marker are padding.
	r.acc, r.n, r.marker, r.pad = 0, 0, false, 0
	for r.pos < len(r.data) && r.data[r.pos] == 0xff && r.pos+1 < len(r.data) && r.data[r.pos+1] == 0xff {
		r.pos++ // fill bytes
	}
	if r.pos+1 >= len(r.data) || r.data[r.pos] != 0xff || r.data[r.pos+1] < 0xd0 || r.data[r.pos+1] > 0xd7 {
		return errors.New("jpeg: missing restart marker")
	}
	r.pos += 2
	return nil
}
