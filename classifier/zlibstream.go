package classifier

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"io"
)

// zlibReader inflates a zlib stream (RFC 1950) held in memory, as
// compress/zlib does, with its own Adler-32: compress/zlib's hash/adler32
// adds one byte at a time, which for the 4.7 MB of a 1080x1080 RGBA
// drawing cost about a tenth of decoding it, though nearly all of those
// bytes are the zeros of an empty canvas, which adler32Update skips 8 at a
// time.
type zlibReader struct {
	src   *bytes.Reader // after the header: the deflate data, then the checksum
	fr    io.ReadCloser
	adler uint32
}

var errZlib = errors.New("zlib: invalid stream")

// newZlibReader returns a reader of the zlib stream z, reusing sc's
// deflate reader when sc is not nil.
func newZlibReader(z []byte, sc *scratch) (*zlibReader, error) {
	if len(z) < 2 {
		return nil, errZlib
	}
	cmf, flg := z[0], z[1]
	// Deflate with a window of at most 32 KiB, a header checksum that
	// holds, and no preset dictionary (PNG uses none).
	if cmf&0x0f != 8 || cmf>>4 > 7 || (uint16(cmf)<<8|uint16(flg))%31 != 0 || flg&0x20 != 0 {
		return nil, errZlib
	}
	// A bytes.Reader is an io.ByteReader: flate reads exactly the bytes of
	// the deflate stream from it, and the checksum follows.
	src := bytes.NewReader(z[2:])
	switch {
	case sc == nil:
		return &zlibReader{src: src, fr: flate.NewReader(src), adler: 1}, nil
	case sc.inflater == nil:
		sc.inflater = flate.NewReader(src)
	default:
		// Reset of compress/flate's reader never fails.
		_ = sc.inflater.(flate.Resetter).Reset(src, nil)
	}
	return &zlibReader{src: src, fr: sc.inflater, adler: 1}, nil
}

func (z *zlibReader) Read(p []byte) (int, error) {
	n, err := z.fr.Read(p)
	z.adler = adler32Update(z.adler, p[:n])
	return n, err
}

// end checks that the inflated data ends here and that the checksum after
// it matches.
func (z *zlibReader) end() error {
	var extra [1]byte
	if n, err := io.ReadFull(z.fr, extra[:]); n != 0 || err != io.EOF {
		return errZlib
	}
	var sum [4]byte
	if _, err := io.ReadFull(z.src, sum[:]); err != nil || binary.BigEndian.Uint32(sum[:]) != z.adler {
		return errZlib
	}
	return nil
}

// adler32Update is hash/adler32's update: s1 is 1 plus the sum of the
// bytes, s2 the sum of the successive s1, both modulo 65521; eight zero
// bytes leave s1 as it is and add 8·s1 to s2 (32 zero bytes, 32·s1).
func adler32Update(adler uint32, p []byte) uint32 {
	const (
		mod = 65521
		// nmax is the most bytes whose sums cannot overflow 32 bits
		// before the modulo (zlib's NMAX).
		nmax = 5552
	)
	s1, s2 := adler&0xffff, adler>>16
	for len(p) > 0 {
		q := p[:min(len(p), nmax)]
		p = p[len(q):]
		for len(q) >= 8 {
			if len(q) >= 32 && binary.LittleEndian.Uint64(q)|binary.LittleEndian.Uint64(q[8:])|
				binary.LittleEndian.Uint64(q[16:])|binary.LittleEndian.Uint64(q[24:]) == 0 {
				s2 += 32 * s1
				q = q[32:]
				continue
			}
			if binary.LittleEndian.Uint64(q) == 0 {
				s2 += 8 * s1
				q = q[8:]
				continue
			}
			b := q[:8:8]
			s1 += uint32(b[0])
			s2 += s1
			s1 += uint32(b[1])
			s2 += s1
			s1 += uint32(b[2])
			s2 += s1
			s1 += uint32(b[3])
			s2 += s1
			s1 += uint32(b[4])
			s2 += s1
			s1 += uint32(b[5])
			s2 += s1
			s1 += uint32(b[6])
			s2 += s1
			s1 += uint32(b[7])
			s2 += s1
			q = q[8:]
		}
		for _, b := range q {
			s1 += uint32(b)
			s2 += s1
		}
		s1 %= mod
		s2 %= mod
	}
	return s2<<16 | s1
}
