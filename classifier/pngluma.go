package classifier

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"io"
)

// A PNG decoder for what drawing apps and screenshots write (8-bit RGB or
// RGBA, not interlaced) straight to what preprocessing reads: each pixel's
// luma premultiplied by its alpha, and the alpha. image/png would build a
// 4-byte-per-pixel NRGBA picture (4.7 MB for a 1080x1080 canvas) that
// rowReader then converts row by row; this converts each row as it is
// unfiltered, into 2 bytes per pixel, with the same arithmetic, so the
// classifier sees the same bytes.
//
// Anything else (palette, grey, 16-bit, interlaced, a tRNS chunk, or any
// damage: a bad CRC, a short or overlong stream, no IEND) reports an
// error, and image/png decides: it reads those kinds, and its error is
// the one users see for a damaged file.

var errPNGLumaUnsupported = errors.New("png: not of the kinds the luma decoder reads")

// lumaAlpha is a picture as premultiplied luma and alpha planes.
// opaque[y] says that row y has no pixel with alpha below 255.
type lumaAlpha struct {
	w, h   int
	l, a   []uint8
	opaque []bool
}

func (m *lumaAlpha) ColorModel() color.Model { return color.RGBAModel }
func (m *lumaAlpha) Bounds() image.Rectangle { return image.Rect(0, 0, m.w, m.h) }
func (m *lumaAlpha) At(x, y int) color.Color {
	if !(image.Point{x, y}.In(m.Bounds())) {
		return color.RGBA{}
	}
	i := y*m.w + x
	return color.RGBA{m.l[i], m.l[i], m.l[i], m.a[i]}
}

// pngLumaReadable reports, from the header image/png read, whether
// decodePNGLuma may read the file (it may still refuse it later).
func pngLumaReadable(cfg image.Config) bool {
	return cfg.ColorModel == color.RGBAModel || cfg.ColorModel == color.NRGBAModel
}

// decodePNGLuma decodes an 8-bit RGB or RGBA, non-interlaced PNG into
// premultiplied luma and alpha. maxPixels bounds the picture as for the
// standard decoder.
func decodePNGLuma(data []byte, maxPixels int) (*lumaAlpha, error) {
	w, h, bpp, zdata, err := pngImageData(data, maxPixels)
	if err != nil {
		return nil, err
	}
	m := &lumaAlpha{w: w, h: h, l: make([]uint8, w*h), a: make([]uint8, w*h), opaque: make([]bool, h)}
	err = unfilterLuma(zdata, w, h, bpp, func(y int, l, a []uint8, opaque bool) {
		copy(m.l[y*w:], l)
		copy(m.a[y*w:], a)
		m.opaque[y] = opaque
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// decodePNGGrey is decodePNGLuma reduced as it decodes: each row goes
// straight into toGrey's reduction, so no plane of the picture is ever
// held (a 1080x1080 canvas was 2.3 MB of luma and alpha to allocate, fill
// and read again). The result is toGrey's for decodePNGLuma's picture.
func decodePNGGrey(data []byte, maxPixels int, sc *scratch) (*grey, error) {
	w, h, bpp, zdata, err := pngImageData(data, maxPixels)
	if err != nil {
		return nil, err
	}
	gb := newGreyBuilder(w, h, sc)
	if err := unfilterLumaScratch(zdata, w, h, bpp, sc, func(_ int, l, a []uint8, opaque bool) { gb.addRow(l, a, opaque) }); err != nil {
		return nil, err
	}
	return gb.finish(), nil
}

// pngImageData checks the chunks of a PNG of the kinds the luma decoder
// reads and returns its size, bytes per pixel and the zlib stream of its
// image data (the IDAT chunks joined).
func pngImageData(data []byte, maxPixels int) (w, h, bpp int, zdata []byte, err error) {
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(data, []byte(sig)) {
		return 0, 0, 0, nil, errPNGLumaUnsupported
	}
	rest := data[len(sig):]
	var idat [][]byte
	seenIHDR, inIDAT, doneIDAT := false, false, false
	for {
		if len(rest) < 12 {
			return 0, 0, 0, nil, errPNGLumaUnsupported
		}
		n := binary.BigEndian.Uint32(rest[:4])
		if uint64(n) > uint64(len(rest)-12) {
			return 0, 0, 0, nil, errPNGLumaUnsupported
		}
		typ, body := string(rest[4:8]), rest[8:8+n]
		if crc32.ChecksumIEEE(rest[4:8+n]) != binary.BigEndian.Uint32(rest[8+n:12+n]) {
			return 0, 0, 0, nil, errPNGLumaUnsupported
		}
		rest = rest[12+n:]
		if !seenIHDR && typ != "IHDR" {
			return 0, 0, 0, nil, errPNGLumaUnsupported
		}
		if inIDAT && typ != "IDAT" {
			inIDAT, doneIDAT = false, true
		}
		switch typ {
		case "IHDR":
			if seenIHDR || n != 13 {
				return 0, 0, 0, nil, errPNGLumaUnsupported
			}
			seenIHDR = true
			w, h = int(binary.BigEndian.Uint32(body[0:4])), int(binary.BigEndian.Uint32(body[4:8]))
			depth, ctype := body[8], body[9]
			if depth != 8 || body[10] != 0 || body[11] != 0 || body[12] != 0 {
				return 0, 0, 0, nil, errPNGLumaUnsupported
			}
			switch ctype {
			case 2:
				bpp = 3
			case 6:
				bpp = 4
			default:
				return 0, 0, 0, nil, errPNGLumaUnsupported
			}
			if w <= 0 || h <= 0 || w > 1<<24 || h > 1<<24 || int64(w)*int64(h) > int64(maxPixels) {
				return 0, 0, 0, nil, errPNGLumaUnsupported
			}
		case "IDAT":
			if doneIDAT {
				return 0, 0, 0, nil, errPNGLumaUnsupported
			}
			inIDAT = true
			idat = append(idat, body)
		case "tRNS":
			return 0, 0, 0, nil, errPNGLumaUnsupported
		case "IEND":
			switch len(idat) {
			case 0:
				return 0, 0, 0, nil, errPNGLumaUnsupported
			case 1:
				return w, h, bpp, idat[0], nil
			}
			return w, h, bpp, bytes.Join(idat, nil), nil
		}
	}
}

// unfilterLuma inflates the image data, undoes each row's filter, converts
// it and hands it to row (l and a are reused for the next row).
func unfilterLuma(zdata []byte, w, h, bpp int, row func(y int, l, a []uint8, opaque bool)) error {
	return unfilterLumaScratch(zdata, w, h, bpp, nil, row)
}

// unfilterLumaScratch is unfilterLuma with sc's deflate reader.
func unfilterLumaScratch(zdata []byte, w, h, bpp int, sc *scratch, row func(y int, l, a []uint8, opaque bool)) error {
	zr, err := newZlibReader(zdata, sc)
	if err != nil {
		return errPNGLumaUnsupported
	}
	stride := w * bpp
	cur, prev := make([]uint8, 1+stride), make([]uint8, 1+stride)
	lrow, arow := make([]uint8, w), make([]uint8, w)
	for y := range h {
		if _, err := io.ReadFull(zr, cur); err != nil {
			return errPNGLumaUnsupported
		}
		c, p := cur[1:], prev[1:]
		switch cur[0] {
		case 0:
		case 1: // Sub
			for i := bpp; i < len(c); i++ {
				c[i] += c[i-bpp]
			}
		case 2: // Up
			for i, v := range p {
				c[i] += v
			}
		case 3: // Average
			for i := range bpp {
				c[i] += p[i] / 2
			}
			for i := bpp; i < len(c); i++ {
				c[i] += uint8((int(c[i-bpp]) + int(p[i])) / 2)
			}
		case 4: // Paeth
			unpaeth(c, p, bpp)
		default:
			return errPNGLumaUnsupported
		}
		opaque := true
		if bpp == 3 {
			c = c[:3*w]
			for x := range lrow {
				q := c[3*x : 3*x+3 : 3*x+3]
				lrow[x] = luma8(q[0], q[1], q[2])
				arow[x] = 255
			}
		} else {
			opaque = rgbaToLuma(c[:4*w], lrow, arow)
		}
		row(y, lrow, arow, opaque)
		cur, prev = prev, cur
	}
	// The stream must end here, with a valid checksum (image/png refuses
	// extra pixel data too).
	return zr.end()
}

// rgbaToLuma premultiplies a row of RGBA pixels as rowReader premultiplies
// image/png's NRGBA ones, and reports whether they were all opaque.
func rgbaToLuma(c, lrow, arow []uint8) (opaque bool) {
	opaque = true
	lrow = lrow[:len(c)/4]
	arow = arow[:len(lrow)]
	for x := 0; x < len(lrow); {
		// A drawing's empty canvas: 8 pixels of zero bytes at once.
		if x+8 <= len(lrow) && zeros(c[4*x:4*x+32]) {
			binary.LittleEndian.PutUint64(lrow[x:], 0)
			binary.LittleEndian.PutUint64(arow[x:], 0)
			opaque = false
			x += 8
			continue
		}
		q := c[4*x : 4*x+4 : 4*x+4]
		switch al := q[3]; al {
		case 0:
			lrow[x] = 0
			opaque = false
		case 255:
			lrow[x] = luma8(q[0], q[1], q[2])
		default:
			lrow[x] = uint8((uint32(luma8(q[0], q[1], q[2]))*uint32(al) + 127) / 255)
			opaque = false
		}
		arow[x] = q[3]
		x++
	}
	return opaque
}

// unpaeth undoes the Paeth filter: each byte was predicted by whichever
// of left (a), above (b) and upper-left (c) is closest to a + b - c.
func unpaeth(cur, prev []uint8, bpp int) {
	for i := range bpp {
		cur[i] += prev[i] // a = c = 0: the predictor is b
	}
	// A drawing's empty canvas is long runs of zero bytes: where the
	// pixel to the left, the row above and the filtered bytes are all
	// zero, every prediction is zero and so is the result: skip the run.
	for i := bpp; i < len(cur); {
		if i+paethRun <= len(cur) && zeros(cur[i-bpp:i+paethRun]) && zeros(prev[i-bpp:i+paethRun]) {
			i += paethRun
			continue
		}
		end := min(i+paethRun, len(cur))
		if bpp == 4 {
			i = unpaeth4(cur, prev, i, end)
		}
		for ; i < end; i++ {
			a, b, c := int(cur[i-bpp]), int(prev[i]), int(prev[i-bpp])
			pa, pb, pc := b-c, a-c, a+b-2*c
			pa, pb, pc = max(pa, -pa), max(pb, -pb), max(pc, -pc)
			pred := c
			if pa <= pb && pa <= pc {
				pred = a
			} else if pb <= pc {
				pred = b
			}
			cur[i] += uint8(pred)
		}
	}
}

// unpaeth4 undoes the Paeth filter of the whole 4-byte pixels of
// cur[i:end] (i a multiple of 4, past the first pixel), a pixel at a time
// with the left and upper-left pixels in registers, and returns where it
// stopped.
func unpaeth4(cur, prev []uint8, i, end int) int {
	a0, a1, a2, a3 := int(cur[i-4]), int(cur[i-3]), int(cur[i-2]), int(cur[i-1])
	c0, c1, c2, c3 := int(prev[i-4]), int(prev[i-3]), int(prev[i-2]), int(prev[i-1])
	for ; i+4 <= end; i += 4 {
		p, q := prev[i:i+4:i+4], cur[i:i+4:i+4]
		b0, b1, b2, b3 := int(p[0]), int(p[1]), int(p[2]), int(p[3])
		a0 = (paethPredict(a0, b0, c0) + int(q[0])) & 0xff
		a1 = (paethPredict(a1, b1, c1) + int(q[1])) & 0xff
		a2 = (paethPredict(a2, b2, c2) + int(q[2])) & 0xff
		a3 = (paethPredict(a3, b3, c3) + int(q[3])) & 0xff
		q[0], q[1], q[2], q[3] = uint8(a0), uint8(a1), uint8(a2), uint8(a3)
		c0, c1, c2, c3 = b0, b1, b2, b3
	}
	return i
}

// paethPredict is the Paeth predictor of left a, above b, upper-left c.
func paethPredict(a, b, c int) int {
	pa, pb, pc := b-c, a-c, a+b-2*c
	pa, pb, pc = max(pa, -pa), max(pb, -pb), max(pc, -pc)
	pred := c
	if pb <= pc {
		pred = b
	}
	if pa <= pb && pa <= pc {
		pred = a
	}
	return pred
}

// paethRun is the span unpaeth checks for zeros at once.
const paethRun = 64

// zeros reports whether every byte of p is zero, 32 at a time.
func zeros(p []uint8) bool {
	for ; len(p) >= 32; p = p[32:] {
		if binary.LittleEndian.Uint64(p)|binary.LittleEndian.Uint64(p[8:])|binary.LittleEndian.Uint64(p[16:])|binary.LittleEndian.Uint64(p[24:]) != 0 {
			return false
		}
	}
	for ; len(p) >= 8; p = p[8:] {
		if binary.LittleEndian.Uint64(p) != 0 {
			return false
		}
	}
	for _, v := range p {
		if v != 0 {
			return false
		}
	}
	return true
}
