package chart

import (
	"fmt"
	"image"
	"math"

	"github.com/digitbot/digitbot"
)

// drawConfusion draws the 10x10 confusion matrix with go-chart's renderer
// (go-chart has no heatmap): rows are the true digit, columns the
// predicted one, and a cell's colour gets stronger with its share of the
// row — blue on the diagonal (right), red off it (wrong) — so an accurate
// history shows a bright diagonal and its typical confusions stand out.
func (p *page) drawConfusion(s digitbot.Stats, r image.Rectangle) {
	t := p.t
	area := p.panelHeader(r, t.confusion, []legendItem{
		{label: t.right, color: colAccuracy},
		{label: t.wrong, color: colWrong},
	})
	pad := p.px(12)
	axisW := p.px(26)  // the rotated "true" label
	labelW := p.px(26) // row digits
	labelH := p.px(46) // "predicted" and the column digits
	availW := area.Dx() - 2*pad - axisW - labelW
	availH := area.Dy() - p.px(8) - labelH
	cell := max(min(availW/10, availH/10), 4)
	gridW := 10 * cell
	gx := area.Min.X + pad + axisW + labelW + (availW-gridW)/2
	gy := area.Min.Y + labelH
	gap := max(p.px(2), 1)
	p.matrix = image.Rect(gx, gy, gx+gridW, gy+gridW)

	digitSize := math.Min(p.fs(17), float64(cell)*0.5)
	p.text(t.predictedAxis, gx+gridW/2, gy-p.px(28), p.fs(15), colMuted, alignCenter)
	for d := 0; d < 10; d++ {
		p.text(fmt.Sprint(d), gx+d*cell+cell/2, gy-p.px(6), digitSize, colMuted, alignCenter)
		p.text(fmt.Sprint(d), gx-p.px(8), gy+d*cell+cell/2+int(digitSize*0.36), digitSize, colMuted, alignRight)
	}
	// The rows' axis name, rotated to read bottom-up along the left edge.
	p.r.SetFont(p.font)
	p.r.SetFontSize(p.fs(15))
	p.r.SetFontColor(colMuted)
	tw := p.r.MeasureText(t.trueAxis).Width()
	p.r.SetTextRotation(-math.Pi / 2)
	p.r.Text(t.trueAxis, gx-labelW-p.px(10), gy+gridW/2+tw/2)
	p.r.ClearTextRotation()

	countSize := math.Min(p.fs(16), float64(cell)*0.45)
	for tr := 0; tr < 10; tr++ {
		rowTotal := 0
		for _, n := range s.Confusion[tr] {
			rowTotal += n
		}
		for pr := 0; pr < 10; pr++ {
			n := s.Confusion[tr][pr]
			box := image.Rect(gx+pr*cell+gap/2, gy+tr*cell+gap/2, gx+(pr+1)*cell-(gap+1)/2, gy+(tr+1)*cell-(gap+1)/2)
			fill := colCellEmpty
			intensity := 0.0
			if n > 0 && rowTotal > 0 {
				// sqrt lifts small shares so a single confusion is visible.
				intensity = 0.2 + 0.8*math.Sqrt(float64(n)/float64(rowTotal))
				hue := colWrong
				if tr == pr {
					hue = colAccuracy
				}
				fill = mix(colCellEmpty, hue, intensity)
			}
			p.fill(box, fill)
			if n == 0 {
				continue
			}
			label := compactCount(n)
			size := countSize
			for size > 6 && p.measure(label, size) > cell-2*gap {
				size *= 0.9
			}
			tc := colText
			if intensity > 0.62 {
				tc = colDarkText
			}
			cx, cy := (box.Min.X+box.Max.X)/2, (box.Min.Y+box.Max.Y)/2
			p.text(label, cx, cy+int(size*0.36), size, tc, alignCenter)
		}
	}
}
