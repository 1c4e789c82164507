package classifier

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"math"
)

// A luma-only JPEG decoder: the luma of a baseline JPEG at full size, or
// at 1/2, 1/4 or 1/8 of it computed from the low frequencies of each 8x8
// block (DCT-domain scaling, as libjpeg's scaled decoding and PIL's draft
// do).
// image/jpeg always decodes every pixel of every component, which for a
// 12-megapixel phone photo the classifier then reduces to 320 pixels a
// side costs ~170 ms and ~18 MB; this reads the luma only, dequantises and
// transforms only the coefficients the output needs, and writes the
// reduced grey plane directly (no full-size buffer at all).
//
// It handles what phones and most software write: baseline or extended
// sequential Huffman, 8-bit, one component or three (YCbCr, luma sampled
// at the highest rate), interleaved or not, with restart intervals.
// Anything else (progressive, arithmetic coding, 12-bit, CMYK, RGB,
// unusual sampling) reports errReducedUnsupported, before allocating the
// plane, and is decoded by image/jpeg at full size instead. Every length
// and index is checked, so a hostile file ends in an error; the memory it
// takes is the output plane (the width and height divided by the scale)
// and a few kilobytes of tables.

// errReducedUnsupported: the file is valid JPEG (or might be) but not of
// the kinds the reduced decoder reads.
var errReducedUnsupported = errors.New("jpeg: not a baseline YCbCr or grey JPEG")

// jpegReducedScale is the reduction for a JPEG of w×h pixels: the largest
// of 8, 4 and 2 that leaves its shorter side at least minReadSide, or 1.
func jpegReducedScale(w, h, minReadSide int) int {
	for _, s := range []int{8, 4, 2} {
		if min(w, h)/s >= minReadSide {
			return s
		}
	}
	return 1
}

// jpegReducible reports, from the markers before the first scan, whether
// decodeJPEGReduced can read the file.
func jpegReducible(data []byte) bool {
	sof, progressive, jfif, ok := jpegFrame(data)
	if !ok || progressive || len(sof) < 6 || sof[0] != 8 {
		return false
	}
	n := int(sof[5])
	if (n != 1 && n != 3) || len(sof) < 6+3*n {
		return false
	}
	if n == 3 && !jfif && (jpegAdobeRGB(data) || jpegNamedRGB(sof)) {
		return false // RGB: the first component is red, not luma
	}
	return true
}

// huffTable is one Huffman table: a lookup of the first lookBits bits for
// short codes, and the canonical code ranges for longer ones.
type huffTable struct {
	// look[b] for the next lookBits bits b: code length << 8 | symbol, or
	// 0 when the code is longer than lookBits.
	look    [1 << lookBits]uint16
	maxCode [17]int32 // largest code of each length, -1 if none
	valPtr  [17]int32 // index in vals of the first code of each length, minus that code
	vals    [256]uint8
	// fastAC[b], for an AC table, decodes a whole coefficient whose code
	// and value bits fit in the next lookBits bits b: value << 16 | run <<
	// 8 | bits used; 0 when they do not fit (or for end of block and ZRL).
	fastAC  [1 << lookBits]int32
	defined bool
}

const lookBits = 9

func (t *huffTable) build(counts *[16]uint8, vals []uint8) error {
	total := 0
	for _, c := range counts {
		total += int(c)
	}
	if total == 0 || total > 256 || total != len(vals) {
		return fmt.Errorf("jpeg: bad Huffman table (%d codes)", total)
	}
	*t = huffTable{defined: true}
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
		t.fastAC[b] = m<<16 | int32(run)<<8 | int32(l+size)
	}
	return nil
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
// (row-major); the others are decoded and dropped.
func (r *bitReader) block(dcT, acT *huffTable, coef *[64]int32, q *[64]uint16, last int) (dc int32, hasAC bool, err error) {
	s, err := r.decode(dcT)
	if err != nil {
		return 0, false, err
	}
	if s > 16 {
		return 0, false, errors.New("jpeg: bad DC coefficient")
	}
	dc = r.receive(uint(s))
	acc, n := r.acc, r.n
	for k := 1; k < 64; {
		if n < 32 {
			r.acc, r.n = acc, n
			r.fill()
			acc, n = r.acc, r.n
		}
		if f := acT.fastAC[acc>>(64-lookBits)]; f != 0 {
			l := uint(f & 255)
			acc <<= l
			n -= l
			k += int(f>>8) & 255
			if k <= last {
				coef[zigzag[k]] = (f >> 16) * int32(q[k])
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
				break // end of block
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
			coef[zigzag[k]] = v * int32(q[k])
			hasAC = true
		}
		k++
	}
	r.acc, r.n = acc, n
	return dc, hasAC, nil
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

// zigzag maps the position of a coefficient in the file's order to its
// row-major position in the 8x8 block.
var zigzag = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}

// reducedIDCT is the N-point inverse DCT of the low N×N coefficients of a
// block (N = 8/scale): basis[x*N+u] = C(u)/2 · cos((2x+1)uπ/2N), with
// C(0) = 1/√2, so that each output pixel is the block's picture seen at
// 1/scale (for N = 1, the block's mean).
type reducedIDCT struct {
	n  int
	b8 [8][8]float32 // basis for n = 8 (the full-size decode): b8[x][u]
	b4 [4][4]float32 // for n = 4
	b2 [2][2]float32 // for n = 2
}

func newReducedIDCT(n int) reducedIDCT {
	t := reducedIDCT{n: n}
	basis := func(n, x, u int) float32 {
		c := 0.5
		if u == 0 {
			c = 0.5 / math.Sqrt2
		}
		return float32(c * math.Cos(float64(2*x+1)*float64(u)*math.Pi/float64(2*n)))
	}
	for x := range 8 {
		for u := range 8 {
			t.b8[x][u] = basis(8, x, u)
		}
	}
	for x := range 4 {
		for u := range 4 {
			t.b4[x][u] = basis(4, x, u)
		}
	}
	for x := range 2 {
		for u := range 2 {
			t.b2[x][u] = basis(2, x, u)
		}
	}
	return t
}

// jpegComponent is a frame component.
type jpegComponent struct {
	id, h, v, tq uint8
}

// decodeJPEGReduced decodes the luma of a baseline JPEG at 1/scale
// (scale 1, 2, 4 or 8) into a grey image of ceil(width/scale) ×
// ceil(height/scale). maxPixels bounds the full-size picture, as for the
// standard decoder.
func decodeJPEGReduced(data []byte, scale, maxPixels int) (img *image.Gray, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("jpeg: reduced decoder panic: %v", r)
		}
	}()
	if scale != 1 && scale != 2 && scale != 4 && scale != 8 {
		return nil, fmt.Errorf("jpeg: unsupported scale %d", scale)
	}
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return nil, errors.New("jpeg: missing SOI marker")
	}
	var (
		quant     [4][64]uint16
		haveQuant [4]bool
		dc, ac    [4]huffTable
		comps     []jpegComponent
		width     int
		height    int
		restart   int
		frameSeen bool
	)
	pos := 2
	for {
		// Markers may be preceded by fill bytes.
		for pos < len(data) && data[pos] == 0xff && pos+1 < len(data) && data[pos+1] == 0xff {
			pos++
		}
		if pos+4 > len(data) || data[pos] != 0xff {
			return nil, errors.New("jpeg: no scan with the luma")
		}
		marker := data[pos+1]
		if marker == 0xd9 {
			return nil, errors.New("jpeg: no scan with the luma")
		}
		if marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7) {
			pos += 2 // markers without a length
			continue
		}
		n := int(binary.BigEndian.Uint16(data[pos+2:]))
		if n < 2 || pos+2+n > len(data) {
			return nil, errors.New("jpeg: a segment runs past the end of the file")
		}
		seg := data[pos+4 : pos+2+n]
		pos += 2 + n
		switch marker {
		case 0xc0, 0xc1: // baseline, extended sequential Huffman
			if frameSeen || len(seg) < 6 {
				return nil, errors.New("jpeg: bad frame header")
			}
			frameSeen = true
			if seg[0] != 8 {
				return nil, errReducedUnsupported
			}
			height, width = int(binary.BigEndian.Uint16(seg[1:])), int(binary.BigEndian.Uint16(seg[3:]))
			nc := int(seg[5])
			if (nc != 1 && nc != 3) || len(seg) != 6+3*nc {
				return nil, errReducedUnsupported
			}
			if width == 0 || height == 0 {
				return nil, errReducedUnsupported // height from a DNL marker: not read here
			}
			if int64(width)*int64(height) > int64(maxPixels) {
				return nil, errors.New("jpeg: too many pixels")
			}
			for i := range nc {
				c := jpegComponent{id: seg[6+3*i], h: seg[7+3*i] >> 4, v: seg[7+3*i] & 15, tq: seg[8+3*i]}
				if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3 {
					return nil, errors.New("jpeg: bad component in the frame header")
				}
				comps = append(comps, c)
			}
			if nc == 1 {
				comps[0].h, comps[0].v = 1, 1 // a grey image's sampling factors mean nothing
			}
			for _, c := range comps[1:] {
				// Luma must be sampled at the highest rate: each luma block
				// is then one 8x8 block of the picture.
				if c.h > comps[0].h || c.v > comps[0].v || comps[0].h%c.h != 0 || comps[0].v%c.v != 0 {
					return nil, errReducedUnsupported
				}
			}
		case 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf:
			return nil, errReducedUnsupported // progressive, lossless, hierarchical, arithmetic
		case 0xdb: // quantisation tables
			for len(seg) > 0 {
				pq, tq := seg[0]>>4, seg[0]&15
				if tq > 3 || pq > 1 {
					return nil, errors.New("jpeg: bad quantisation table")
				}
				if pq == 1 {
					if len(seg) < 129 {
						return nil, errors.New("jpeg: short quantisation table")
					}
					for i := range 64 {
						quant[tq][i] = binary.BigEndian.Uint16(seg[1+2*i:])
					}
					seg = seg[129:]
				} else {
					if len(seg) < 65 {
						return nil, errors.New("jpeg: short quantisation table")
					}
					for i := range 64 {
						quant[tq][i] = uint16(seg[1+i])
					}
					seg = seg[65:]
				}
				haveQuant[tq] = true
			}
		case 0xc4: // Huffman tables
			for len(seg) > 0 {
				if len(seg) < 17 {
					return nil, errors.New("jpeg: short Huffman table")
				}
				tc, th := seg[0]>>4, seg[0]&15
				if tc > 1 || th > 3 {
					return nil, errors.New("jpeg: bad Huffman table")
				}
				var counts [16]uint8
				copy(counts[:], seg[1:17])
				total := 0
				for _, c := range counts {
					total += int(c)
				}
				if len(seg) < 17+total {
					return nil, errors.New("jpeg: short Huffman table")
				}
				t := &dc[th]
				if tc == 1 {
					t = &ac[th]
				}
				if err := t.build(&counts, seg[17:17+total]); err != nil {
					return nil, err
				}
				seg = seg[17+total:]
			}
		case 0xdd: // restart interval
			if len(seg) != 2 {
				return nil, errors.New("jpeg: bad restart interval")
			}
			restart = int(binary.BigEndian.Uint16(seg))
		case 0xda: // start of scan
			if !frameSeen {
				return nil, errors.New("jpeg: scan before the frame header")
			}
			if len(seg) < 1 || len(seg) != 4+2*int(seg[0]) || seg[0] == 0 || int(seg[0]) > len(comps) {
				return nil, errors.New("jpeg: bad scan header")
			}
			ns := int(seg[0])
			type scanComp struct {
				comp   int
				dc, ac *huffTable
			}
			scan := make([]scanComp, ns)
			hasLuma := false
			for i := range ns {
				id, tables := seg[1+2*i], seg[2+2*i]
				ci := -1
				for j, c := range comps {
					if c.id == id {
						ci = j
					}
				}
				if ci < 0 || tables>>4 > 3 || tables&15 > 3 {
					return nil, errors.New("jpeg: bad scan component")
				}
				scan[i] = scanComp{comp: ci, dc: &dc[tables>>4], ac: &ac[tables&15]}
				hasLuma = hasLuma || ci == 0
			}
			ss, se, ahal := seg[1+2*ns], seg[2+2*ns], seg[3+2*ns]
			if ss != 0 || se != 63 || ahal != 0 {
				return nil, errors.New("jpeg: bad spectral selection in a sequential scan")
			}
			if !hasLuma {
				// A scan of chroma only: skip its entropy-coded data to the
				// next marker that is not a restart.
				for pos+1 < len(data) && (data[pos] != 0xff || data[pos+1] == 0 || (data[pos+1] >= 0xd0 && data[pos+1] <= 0xd7)) {
					pos++
				}
				continue
			}
			for _, sc := range scan {
				if !sc.dc.defined || !sc.ac.defined || !haveQuant[comps[sc.comp].tq] {
					return nil, errors.New("jpeg: a scan uses an undefined table")
				}
			}
			// The luma plane at 1/scale, and the blocks that write it.
			n := 8 / scale
			ow, oh := (width+scale-1)/scale, (height+scale-1)/scale
			out := image.NewGray(image.Rect(0, 0, ow, oh))
			idct := newReducedIDCT(n)
			q := &quant[comps[0].tq]
			hmax, vmax := int(comps[0].h), int(comps[0].v)
			var mcusX, mcusY int
			if ns == 1 {
				// Non-interleaved: the component's blocks in raster order.
				c := comps[scan[0].comp]
				cw := (width*int(c.h) + hmax - 1) / hmax
				ch := (height*int(c.v) + vmax - 1) / vmax
				mcusX, mcusY = (cw+7)/8, (ch+7)/8
			} else {
				mcusX, mcusY = (width+8*hmax-1)/(8*hmax), (height+8*vmax-1)/(8*vmax)
			}
			br := &bitReader{data: data, pos: pos}
			var preds [3]int32
			var coef [64]int32
			// The coefficients the output reads lie in the low n×n corner,
			// in the first corner row-major positions.
			corner := (n-1)*8 + n
			// Coefficients beyond the last one the output uses are decoded
			// and dropped: lastUsed is the highest zigzag index inside the
			// low n×n corner.
			lastUsed := 0
			for k, z := range zigzag {
				if int(z)%8 < n && int(z)/8 < n {
					lastUsed = k
				}
			}
			mcu := 0
			for my := range mcusY {
				for mx := range mcusX {
					if restart > 0 && mcu > 0 && mcu%restart == 0 {
						if err := br.restart(); err != nil {
							return nil, err
						}
						preds = [3]int32{}
					}
					mcu++
					for _, sc := range scan {
						c := comps[sc.comp]
						bh, bv := int(c.h), int(c.v)
						if ns == 1 {
							bh, bv = 1, 1
						}
						for by := range bv {
							for bx := range bh {
								luma := sc.comp == 0
								last := -1 // coefficients stored: none for chroma
								if luma {
									last = lastUsed
									clear(coef[:corner])
								}
								dcv, hasAC, err := br.block(sc.dc, sc.ac, &coef, q, last)
								if err != nil {
									return nil, err
								}
								preds[sc.comp] += dcv
								if !luma {
									continue
								}
								coef[0] = preds[0] * int32(q[0])
								// The block's place in the plane, in blocks.
								px, py := mx*bh+bx, my*bv+by
								if ns == 1 {
									px, py = mx, my
								}
								writeReducedBlock(out, &idct, &coef, hasAC, px*n, py*n)
							}
						}
					}
				}
			}
			if br.overrun() {
				return nil, errors.New("jpeg: the scan's data ends early")
			}
			return out, nil
		default:
			// APPn, COM, DNL, EXP and the rest: skipped.
		}
	}
}

// writeReducedBlock transforms the low n×n coefficients of one block and
// writes the n×n pixels (clipped to the plane) at x0, y0. A block whose
// stored AC coefficients are all zero is flat: its DC alone.
func writeReducedBlock(out *image.Gray, t *reducedIDCT, coef *[64]int32, hasAC bool, x0, y0 int) {
	n := t.n
	if x0 >= out.Rect.Dx() || y0 >= out.Rect.Dy() {
		return // padding blocks at the right or bottom edge
	}
	w, h := min(n, out.Rect.Dx()-x0), min(n, out.Rect.Dy()-y0)
	if n == 1 || !hasAC {
		v := clampPixel(float32(coef[0])/8 + 128)
		for y := range h {
			row := out.Pix[(y0+y)*out.Stride+x0:]
			for x := range w {
				row[x] = v
			}
		}
		return
	}
	if n == 8 {
		writeFullBlock(out, &t.b8, coef, x0, y0, w, h)
		return
	}
	var tmp [4][4]float32 // n ≤ 4
	if n == 4 {
		b := &t.b4
		for v := range 4 {
			c := coef[v*8 : v*8+4 : v*8+4]
			c0, c1, c2, c3 := float32(c[0]), float32(c[1]), float32(c[2]), float32(c[3])
			for x := range 4 {
				tmp[v][x] = b[x][0]*c0 + b[x][1]*c1 + b[x][2]*c2 + b[x][3]*c3
			}
		}
		for y := range h {
			row := out.Pix[(y0+y)*out.Stride+x0:]
			by := &b[y]
			for x := range w {
				row[x] = clampPixel(by[0]*tmp[0][x] + by[1]*tmp[1][x] + by[2]*tmp[2][x] + by[3]*tmp[3][x] + 128)
			}
		}
		return
	}
	// n == 2
	b := &t.b2
	c00, c01, c10, c11 := float32(coef[0]), float32(coef[1]), float32(coef[8]), float32(coef[9])
	for v, c := range [2][2]float32{{c00, c01}, {c10, c11}} {
		for x := range 2 {
			tmp[v][x] = b[x][0]*c[0] + b[x][1]*c[1]
		}
	}
	for y := range h {
		row := out.Pix[(y0+y)*out.Stride+x0:]
		for x := range w {
			row[x] = clampPixel(b[y][0]*tmp[0][x] + b[y][1]*tmp[1][x] + 128)
		}
	}
}

// writeFullBlock is the 8x8 inverse DCT, separable, skipping the rows of
// coefficients that are all zero (most of them, in a photo's blocks).
func writeFullBlock(out *image.Gray, b *[8][8]float32, coef *[64]int32, x0, y0, w, h int) {
	var tmp [8][8]float32 // tmp[v][x]: row v transformed
	var rows [8]int
	nz := 0
	for v := range 8 {
		c := coef[v*8 : v*8+8 : v*8+8]
		if c[0]|c[1]|c[2]|c[3]|c[4]|c[5]|c[6]|c[7] == 0 {
			continue
		}
		rows[nz] = v
		nz++
		var f [8]float32
		for u, cu := range c {
			f[u] = float32(cu)
		}
		// Most rows' high frequencies are zero: their terms would add
		// exact zeros, so leaving them out gives the same floats.
		if c[4]|c[5]|c[6]|c[7] == 0 {
			for x := range 8 {
				bx := &b[x]
				tmp[v][x] = bx[0]*f[0] + bx[1]*f[1] + bx[2]*f[2] + bx[3]*f[3]
			}
			continue
		}
		for x := range 8 {
			bx := &b[x]
			tmp[v][x] = bx[0]*f[0] + bx[1]*f[1] + bx[2]*f[2] + bx[3]*f[3] + bx[4]*f[4] + bx[5]*f[5] + bx[6]*f[6] + bx[7]*f[7]
		}
	}
	// The column pass runs over the 8 pixels of a row at once (8
	// independent sums, no index checks in the inner loop), adding the
	// rows' terms in the same order as a per-pixel sum would: the same
	// floats.
	for y := range h {
		row := out.Pix[(y0+y)*out.Stride+x0:]
		by := &b[y]
		s0, s1, s2, s3, s4, s5, s6, s7 := float32(128), float32(128), float32(128), float32(128), float32(128), float32(128), float32(128), float32(128)
		for _, v := range rows[:nz] {
			bv, t := by[v&7], &tmp[v&7]
			s0 += bv * t[0]
			s1 += bv * t[1]
			s2 += bv * t[2]
			s3 += bv * t[3]
			s4 += bv * t[4]
			s5 += bv * t[5]
			s6 += bv * t[6]
			s7 += bv * t[7]
		}
		if w == 8 {
			row := row[:8:8]
			row[0], row[1], row[2], row[3] = clampPixel(s0), clampPixel(s1), clampPixel(s2), clampPixel(s3)
			row[4], row[5], row[6], row[7] = clampPixel(s4), clampPixel(s5), clampPixel(s6), clampPixel(s7)
			continue
		}
		sums := [8]float32{s0, s1, s2, s3, s4, s5, s6, s7}
		for x := range w {
			row[x] = clampPixel(sums[x])
		}
	}
}

func clampPixel(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}
