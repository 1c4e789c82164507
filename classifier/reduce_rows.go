package classifier

import (
	"image"
)

// rowReader returns a function that returns the premultiplied 8-bit luma
// of row y, filling the buffer l with it if needed, and whether the row
// was fully opaque; when it was not, a holds the row's 8-bit alpha. Common
// decoder outputs read their Pix directly (grey and JPEG's Y plane are the
// luma already: no copy); anything else goes through RGBA64At, which does
// not allocate.
func rowReader(img image.Image) func(y int, l, a []uint8) ([]uint8, bool) {
	b := img.Bounds()
	w := b.Dx()
	switch m := img.(type) {
	case *image.Gray:
		return func(y int, l, a []uint8) ([]uint8, bool) {
			i := m.PixOffset(b.Min.X, y)
			return m.Pix[i : i+w], true
		}
	case *image.YCbCr:
		return func(y int, l, a []uint8) ([]uint8, bool) {
			i := m.YOffset(b.Min.X, y)
			return m.Y[i : i+w], true
		}
	case *image.NYCbCrA:
		return func(y int, l, a []uint8) ([]uint8, bool) {
			yi, ai := m.YOffset(b.Min.X, y), m.AOffset(b.Min.X, y)
			opaque := true
			for x := 0; x < w; x++ {
				al := m.A[ai+x]
				l[x] = uint8((uint32(m.Y[yi+x])*uint32(al) + 127) / 255)
				a[x] = al
				opaque = opaque && al == 255
			}
			return l, opaque
		}
	case *image.RGBA:
		return func(y int, l, a []uint8) ([]uint8, bool) {
			p := m.Pix[m.PixOffset(b.Min.X, y):]
			opaque := true
			for x := 0; x < w; x++ {
				q := p[4*x : 4*x+4 : 4*x+4]
				l[x] = luma8(q[0], q[1], q[2])
				a[x] = q[3]
				opaque = opaque && q[3] == 255
			}
			return l, opaque
		}
	case *lumaAlpha:
		return func(y int, l, a []uint8) ([]uint8, bool) {
			i := (y-b.Min.Y)*m.w + b.Min.X
			copy(a[:w], m.a[i:i+w])
			return m.l[i : i+w], m.opaque[y-b.Min.Y]
		}
	case *image.NRGBA:
		return func(y int, l, a []uint8) ([]uint8, bool) {
			p := m.Pix[m.PixOffset(b.Min.X, y):]
			opaque := true
			p = p[:4*w]
			l, a = l[:w], a[:w]
			for x := range l {
				q := p[4*x : 4*x+4 : 4*x+4]
				// A drawing's canvas is mostly fully transparent or fully
				// opaque pixels: premultiplying those needs no arithmetic
				// (the general formula gives the same bytes).
				switch al := q[3]; al {
				case 0:
					l[x] = 0
					opaque = false
				case 255:
					l[x] = luma8(q[0], q[1], q[2])
				default:
					l[x] = uint8((uint32(luma8(q[0], q[1], q[2]))*uint32(al) + 127) / 255)
					opaque = false
				}
				a[x] = q[3]
			}
			return l, opaque
		}
	case *image.Paletted:
		// A palette may be shorter than the indices used; such pixels read
		// as opaque black instead of panicking like Paletted.At would.
		var tl, ta [256]uint8
		for i := range ta {
			ta[i] = 255
		}
		for i, c := range m.Palette {
			if i >= 256 {
				break
			}
			if c == nil {
				continue
			}
			r, g, bl, al := c.RGBA()
			tl[i] = luma8(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			ta[i] = uint8(al >> 8)
		}
		return func(y int, l, a []uint8) ([]uint8, bool) {
			p := m.Pix[m.PixOffset(b.Min.X, y):]
			opaque := true
			for x := 0; x < w; x++ {
				l[x], a[x] = tl[p[x]], ta[p[x]]
				opaque = opaque && a[x] == 255
			}
			return l, opaque
		}
	case image.RGBA64Image:
		return func(y int, l, a []uint8) ([]uint8, bool) {
			opaque := true
			for x := 0; x < w; x++ {
				c := m.RGBA64At(b.Min.X+x, y)
				l[x] = luma8(uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8))
				a[x] = uint8(c.A >> 8)
				opaque = opaque && a[x] == 255
			}
			return l, opaque
		}
	}
	return func(y int, l, a []uint8) ([]uint8, bool) {
		opaque := true
		for x := 0; x < w; x++ {
			var r, g, bl, al uint32
			if c := img.At(b.Min.X+x, y); c != nil {
				r, g, bl, al = c.RGBA()
			}
			l[x] = luma8(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			a[x] = uint8(al >> 8)
			opaque = opaque && a[x] == 255
		}
		return l, opaque
	}
}

// luma8 is BT.601 luma, the weights of color.GrayModel and of JPEG's Y.
func luma8(r, g, b uint8) uint8 {
	return uint8((19595*uint32(r) + 38470*uint32(g) + 7471*uint32(b) + 1<<15) >> 16)
}
