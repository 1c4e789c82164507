package classifier

import (
	"bytes"
	"compress/zlib"
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
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(data, []byte(sig)) {
		return nil, errPNGLumaUnsupported
	}
	rest := data[len(sig):]
	var w, h, bpp int
	var idat []io.Reader
	seenIHDR, inIDAT, doneIDAT := false, false, false
	for {
		if len(rest) < 12 {
			return nil, errPNGLumaUnsupported
		}
		n := binary.BigEndian.Uint32(rest[:4])
		if uint64(n) > uint64(len(rest)-12) {
			return nil, errPNGLumaUnsupported
		}
		typ, body := string(rest[4:8]), rest[8:8+n]
		if crc32.ChecksumIEEE(rest[4:8+n]) != binary.BigEndian.Uint32(rest[8+n:12+n]) {
			return nil, errPNGLumaUnsupported
		}
		rest = rest[12+n:]
		if !seenIHDR && typ != "IHDR" {
			return nil, errPNGLumaUnsupported
		}
		if inIDAT && typ != "IDAT" {
			inIDAT, doneIDAT = false, true
		}
		switch typ {
		case "IHDR":
			if seenIHDR || n != 13 {
				return nil, errPNGLumaUnsupported
			}
			seenIHDR = true
			w, h = int(binary.BigEndian.Uint32(body[0:4])), int(binary.BigEndian.Uint32(body[4:8]))
			depth, ctype := body[8], body[9]
			if depth != 8 || body[10] != 0 || body[11] != 0 || body[12] != 0 {
				return nil, errPNGLumaUnsupported
			}
			switch ctype {
			case 2:
				bpp = 3
			case 6:
				bpp = 4
			default:
				return nil, errPNGLumaUnsupported
			}
			if w <= 0 || h <= 0 || w > 1<<24 || h > 1<<24 || int64(w)*int64(h) > int64(maxPixels) {
				return nil, errPNGLumaUnsupported
			}
		case "IDAT":
			if doneIDAT {
				return nil, errPNGLumaUnsupported
			}
			inIDAT = true
			idat = append(idat, bytes.NewReader(body))
		case "tRNS":
			return nil, errPNGLumaUnsupported
		case "IEND":
			if len(idat) == 0 {
				return nil, errPNGLumaUnsupported
			}
			return unfilterLuma(io.MultiReader(idat...), w, h, bpp)
		}
	}
}

// unfilterLuma inflates the image data, undoes each row's filter and
// converts it.
func unfilterLuma(r io.Reader, w, h, bpp int) (*lumaAlpha, error) {
	zr, err := zlib.NewReader(r)
	if err != nil {
		return nil, errPNGLumaUnsupported
	}
	defer zr.Close()
	m := &lumaAlpha{w: w, h: h, l: make([]uint8, w*h), a: make([]uint8, w*h), opaque: make([]bool, h)}
	stride := w * bpp
	cur, prev := make([]uint8, 1+stride), make([]uint8, 1+stride)
	for y := range h {
		if _, err := io.ReadFull(zr, cur); err != nil {
			return nil, errPNGLumaUnsupported
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
			return nil, errPNGLumaUnsupported
		}
		lrow, arow := m.l[y*w:y*w+w:y*w+w], m.a[y*w:y*w+w:y*w+w]
		opaque := true
		if bpp == 3 {
			c = c[:3*w]
			for x := range lrow {
				q := c[3*x : 3*x+3 : 3*x+3]
				lrow[x] = luma8(q[0], q[1], q[2])
				arow[x] = 255
			}
		} else {
			c = c[:4*w]
			for x := range lrow {
				q := c[4*x : 4*x+4 : 4*x+4]
				// As rowReader premultiplies image/png's NRGBA pixels.
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
			}
		}
		m.opaque[y] = opaque
		cur, prev = prev, cur
	}
	// The stream must end here, with a valid checksum (image/png refuses
	// extra pixel data too).
	var extra [1]byte
	if n, err := io.ReadFull(zr, extra[:]); n != 0 || err != io.EOF {
		return nil, errPNGLumaUnsupported
	}
	return m, nil
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
	var zero [paethRun + 8]uint8
	for i := bpp; i < len(cur); {
		if i+paethRun <= len(cur) && bytes.Equal(cur[i-bpp:i+paethRun], zero[:bpp+paethRun]) &&
			bytes.Equal(prev[i-bpp:i+paethRun], zero[:bpp+paethRun]) {
			i += paethRun
			continue
		}
		for end := min(i+paethRun, len(cur)); i < end; i++ {
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

// paethRun is the span unpaeth checks for zeros at once.
const paethRun = 64
