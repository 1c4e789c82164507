package classifier

import (
	"image"
	"math"

	"github.com/digitbot/digitbot"
)

// fitAndCentre crops the ink, thickens thin strokes, scales the crop into
// fitSide x fitSide keeping its aspect ratio and places it in 28x28 with
// its centre of mass at pixel (14, 14), where MNIST has it.
func fitAndCentre(m *inkMap) (out [digitbot.InputSide * digitbot.InputSide]uint8, err error) {
	side := max(m.crop.Dx(), m.crop.Dy())
	// A stroke this thin (in working pixels) would be a faint hairline
	// after shrinking; widen it towards MNIST's proportions first.
	pad := 0
	if target := targetStroke * float64(side); m.stroke > 0 && m.stroke < thinStroke*target {
		pad = int(math.Round((target - m.stroke) / 2))
	}
	cw, ch := m.crop.Dx()+2*pad, m.crop.Dy()+2*pad
	src := &image.Gray{Pix: m.sc.zeroBytes(bufCrop, cw*ch), Stride: cw, Rect: image.Rect(0, 0, cw, ch)}
	for y := 0; y < m.crop.Dy(); y++ {
		row := m.val[(m.crop.Min.Y+y)*m.w+m.crop.Min.X:]
		dst := src.Pix[(y+pad)*cw+pad:]
		for x := 0; x < m.crop.Dx(); x++ {
			dst[x] = uint8(row[x] + 0.5)
		}
	}
	if pad > 0 {
		dilate(src, pad)
	}
	side = max(cw, ch)
	scale := float64(fitSide) / float64(side)
	nw := max(1, int(math.Round(float64(cw)*scale)))
	nh := max(1, int(math.Round(float64(ch)*scale)))
	fit := src
	if nw != cw || nh != ch {
		fit = image.NewGray(image.Rect(0, 0, nw, nh))
		scaleGreyCatmullRom(fit, src, m.sc) // x/image/draw's Catmull-Rom, byte for byte
	}
	// Stretch so the strongest ink is 255, as in MNIST; shrinking a
	// photo's strokes leaves them below full intensity.
	var peak uint8
	var mass, mx, my float64
	for y := 0; y < nh; y++ {
		for x := 0; x < nw; x++ {
			v := fit.Pix[y*fit.Stride+x]
			peak = max(peak, v)
			mass += float64(v)
			mx += float64(v) * float64(x)
			my += float64(v) * float64(y)
		}
	}
	if mass == 0 {
		return out, digitbot.Errorf(digitbot.ENODIGIT, "I couldn't find any ink in this image: there is too little.")
	}
	gain := 255 / float64(peak)
	const c = digitbot.InputSide / 2
	ox := min(max(int(math.Round(c-mx/mass)), 0), digitbot.InputSide-nw)
	oy := min(max(int(math.Round(c-my/mass)), 0), digitbot.InputSide-nh)
	for y := 0; y < nh; y++ {
		for x := 0; x < nw; x++ {
			v := float64(fit.Pix[y*fit.Stride+x]) * gain
			out[(oy+y)*digitbot.InputSide+ox+x] = uint8(min(v+0.5, 255))
		}
	}
	return out, nil
}

// dilate is a grey-level dilation (maximum filter) with a square of
// radius r, done separably; it thickens strokes by 2r pixels.
func dilate(img *image.Gray, r int) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	tmp := make([]uint8, w*h)
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+w]
		for x := 0; x < w; x++ {
			var m uint8
			for xx := max(0, x-r); xx <= min(w-1, x+r); xx++ {
				m = max(m, row[xx])
			}
			tmp[y*w+x] = m
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var m uint8
			for yy := max(0, y-r); yy <= min(h-1, y+r); yy++ {
				m = max(m, tmp[yy*w+x])
			}
			img.Pix[y*img.Stride+x] = m
		}
	}
}
