package classifier

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
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

// skipTablesPay reports whether a decode at 1/scale of mcus MCUs builds
// its AC tables' skip lookups (huffTable.skip). Building two takes about
// 0.1 ms; at 1/2 scale most coefficients are kept, and on a 1440x1080
// photo (6075 MCUs) the lookups only paid for themselves; at 1/4 or 1/8
// most are dropped, and the picture is at least 3.7 megapixels.
func skipTablesPay(scale, mcus int) bool {
	return scale >= 4 || (scale == 2 && mcus >= 12288)
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
	return decodeJPEGReducedInto(data, scale, maxPixels, nil)
}

// decodeJPEGReducedInto is decodeJPEGReduced writing the plane into sc's
// buffer (every pixel of it).
func decodeJPEGReducedInto(data []byte, scale, maxPixels int, sc *scratch) (img *image.Gray, err error) {
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
		comps     []jpegComponent
		width     int
		height    int
		restart   int
		frameSeen bool
	)
	// The Huffman tables (6.5 KB each) come from sc, as the plane does.
	tables := sc.huffTables()
	dc, ac := &tables[0], &tables[1]
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
				if err := t.build(&counts, seg[17:17+total], tc == 1); err != nil {
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
			out := &image.Gray{Pix: sc.byteBuf(bufPlane, ow*oh), Stride: ow, Rect: image.Rect(0, 0, ow, oh)}
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
			if skipTablesPay(scale, mcusX*mcusY) {
				// Most symbols of a big picture decoded at a reduced
				// scale are dropped: several at a time.
				for _, sc := range scan {
					if !sc.ac.skipReady {
						sc.ac.buildSkip()
					}
				}
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
			// The blocks of one MCU, in order: their tables, component and,
			// for luma, place in the MCU (in blocks).
			type mcuBlock struct {
				dc, ac *huffTable
				comp   int
				bx, by int
			}
			var blocks []mcuBlock
			for _, sc := range scan {
				c := comps[sc.comp]
				bh, bv := int(c.h), int(c.v)
				if ns == 1 {
					bh, bv = 1, 1
				}
				for by := range bv {
					for bx := range bh {
						blocks = append(blocks, mcuBlock{sc.dc, sc.ac, sc.comp, bx, by})
					}
				}
			}
			// A luma block's place in the plane is (mx·mbw + bx, my·mbh +
			// by) blocks: the MCU is hmax×vmax luma blocks when
			// interleaved, one block when not.
			mbw, mbh := hmax, vmax
			if ns == 1 {
				mbw, mbh = 1, 1
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
					for i := range blocks {
						b := &blocks[i]
						if b.comp != 0 {
							// Chroma: decoded for its length, no coefficient kept.
							dcv, _, err := br.block(b.dc, b.ac, &coef, q, -1)
							if err != nil {
								return nil, err
							}
							preds[b.comp%3] += dcv
							continue
						}
						clear(coef[:corner])
						dcv, hasAC, err := br.block(b.dc, b.ac, &coef, q, lastUsed)
						if err != nil {
							return nil, err
						}
						preds[0] += dcv
						coef[0] = preds[0] * int32(q[0])
						writeReducedBlock(out, &idct, &coef, hasAC, (mx*mbw+b.bx)*n, (my*mbh+b.by)*n)
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
