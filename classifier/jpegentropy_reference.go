package classifier

import "errors"

// blockBySymbol is bitReader.block without its shortcuts, as the JPEG
// standard describes the decoding: one Huffman symbol at a time, then its
// value bits. The tests hold block to it (TestBlock_SameAsBySymbol,
// FuzzBlock_SameAsBySymbol): every shortcut must read the same symbols,
// leave the reader at the same bit and store the same coefficients.
func (r *bitReader) blockBySymbol(dcT, acT *huffTable, coef *[64]int32, q *[64]uint16, last int) (dc int32, hasAC bool, err error) {
	s, err := r.decode(dcT)
	if err != nil {
		return 0, false, err
	}
	if s > 16 {
		return 0, false, errors.New("jpeg: bad DC coefficient")
	}
	dc = r.receive(uint(s))
	for k := 1; k < 64; {
		rs, err := r.decode(acT)
		if err != nil {
			return 0, false, err
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
		v := r.receive(size)
		if k <= last {
			coef[zigzag[k]] = v * int32(q[k])
			hasAC = true
		}
		k++
	}
	return dc, hasAC, nil
}
