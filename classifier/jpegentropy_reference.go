package classifier

import "errors"

// blockBySymbol is bitReader.block without its shortcuts: one Huffman
// symbol at a time, then its value bits. The tests hold block to it
// (TestBlock_SameAsBySymbol, FuzzBlock_SameAsBySymbol): every shortcut
// must read the same symbols, leave the reader in the same state and
// store the same coefficients.
// blockBySymbol decodes one block: it returns the DC difference and stores the
// dequantised AC coefficients of zigzag index up to last in coef
// (row-major); the others are decoded and dropped.
func (r *bitReader) blockBySymbol(dcT, acT *huffTable, coef *[64]int32, q *[64]uint16, last int) (dc int32, hasAC bool, err error) {
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
