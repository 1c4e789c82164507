package classifier

import "io"

// scratch holds the big buffers of one decode and preprocessing (the
// decoded luma plane, the working planes of findInk, the labels of the
// connected components), handed to the next one by the Classifier's pool:
// allocated afresh, they were most of the 870 KB a 400x400 photo
// allocated, and the garbage collections they caused about a fifth of its
// CPU time. Nothing a reading keeps (lineInk) points into them. A nil
// *scratch allocates every buffer, as the package-level functions do.
//
// A buffer from scratch keeps what the previous image left in it: every
// user writes all of it, or clears it, before reading it.
type scratch struct {
	bytes  [scratchBytes][]uint8
	floats [scratchFloats][]float32
	mask   []bool
	labels []int32
	marks  []int32
	order  []pixel
	stack  []pixel // labelComponents' depth-first stack
	// resample is the Catmull-Rom scaler's intermediate rows and its two
	// axes' weights (scalegrey.go).
	resample []float64
	axes     [2]resampleAxis
	// huff is the JPEG decoder's Huffman tables: DC, then AC.
	huff *[2][4]huffTable
	// inflater is the PNG decoder's deflate reader, reset for each image
	// (its window and tables are 40 KB).
	inflater io.ReadCloser
}

// The byte and float buffers, by use.
const (
	bufPlane   = iota // the JPEG decoder's luma plane
	bufLevels         // toGrey's copy of an unreduced plane
	bufDarkest        // toGrey's block extremes (over black, when translucent)
	bufLightest
	bufDarkestWhite // toGrey's block extremes over white, when translucent
	bufLightestWhite
	bufCrop // fitAndCentre's crop of the digit
	bufBins // findInk's strengths as histogram bins, under uneven light
	scratchBytes
)

const (
	bufStrength   = iota // findInk's strengths
	bufPiece             // readInk's rendering of one piece
	bufLuma              // toGrey's block means of premultiplied luma
	bufAlpha             // and of alpha
	bufBackground        // findInk's background surface
	scratchFloats
)

// maxScratchBytes is the largest buffer kept for the next image: a
// 640x480 plane, and every working plane (at most 320x320), but not the
// plane of a big photo decoded at full size, which would stay resident.
const maxScratchBytes = 1 << 20

func grow[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	return (*buf)[:n]
}

func (sc *scratch) byteBuf(which, n int) []uint8 {
	if sc == nil {
		return make([]uint8, n)
	}
	return grow(&sc.bytes[which], n)
}

func (sc *scratch) floatBuf(which, n int) []float32 {
	if sc == nil {
		return make([]float32, n)
	}
	return grow(&sc.floats[which], n)
}

// zeroBytes and zeroFloats are byteBuf and floatBuf cleared.
func (sc *scratch) zeroBytes(which, n int) []uint8 {
	b := sc.byteBuf(which, n)
	clear(b)
	return b
}

func (sc *scratch) zeroFloats(which, n int) []float32 {
	f := sc.floatBuf(which, n)
	clear(f)
	return f
}

func (sc *scratch) maskBuf(n int) []bool {
	if sc == nil {
		return make([]bool, n)
	}
	return grow(&sc.mask, n)
}

// labelBuf returns n zero labels.
func (sc *scratch) labelBuf(n int) []int32 {
	if sc == nil {
		return make([]int32, n)
	}
	l := grow(&sc.labels, n)
	clear(l)
	return l
}

// marksBuf returns room for n indices (threshold writes them).
func (sc *scratch) marksBuf(n int) []int32 {
	if sc == nil {
		return make([]int32, n)
	}
	return grow(&sc.marks, n)
}

// stackBuf returns an empty stack of pixels, and keepStack keeps it (as
// it grew) for the next image.
func (sc *scratch) stackBuf() []pixel {
	if sc == nil || sc.stack == nil {
		return make([]pixel, 0, 256)
	}
	return sc.stack[:0]
}

func (sc *scratch) keepStack(s []pixel) {
	if sc != nil {
		sc.stack = s[:0]
	}
}

// resampleBuf returns room for n float64 (scaleGreyCatmullRom writes
// them all before reading them).
func (sc *scratch) resampleBuf(n int) []float64 {
	if sc == nil {
		return make([]float64, n)
	}
	return grow(&sc.resample, n)
}

// resampleAxes returns the scaler's two axes, to be made again (their
// slices' room reused).
func (sc *scratch) resampleAxes() (*resampleAxis, *resampleAxis) {
	if sc == nil {
		return new(resampleAxis), new(resampleAxis)
	}
	return &sc.axes[0], &sc.axes[1]
}

// orderBuf returns an empty slice of pixels with room for n.
func (sc *scratch) orderBuf(n int) []pixel {
	if sc == nil {
		return make([]pixel, 0, n)
	}
	if cap(sc.order) < n {
		sc.order = make([]pixel, 0, n)
	}
	return sc.order[:0]
}

// huffTables returns the JPEG decoder's Huffman tables, none defined.
func (sc *scratch) huffTables() *[2][4]huffTable {
	if sc == nil {
		return new([2][4]huffTable)
	}
	if sc.huff == nil {
		sc.huff = new([2][4]huffTable)
	}
	for i := range sc.huff {
		for j := range sc.huff[i] {
			sc.huff[i][j].defined = false // (built as it was: see huffTable.built)
		}
	}
	return sc.huff
}

// trim drops the buffers too big to keep.
func (sc *scratch) trim() {
	for i := range sc.bytes {
		if cap(sc.bytes[i]) > maxScratchBytes {
			sc.bytes[i] = nil
		}
	}
	for i := range sc.floats {
		if 4*cap(sc.floats[i]) > maxScratchBytes {
			sc.floats[i] = nil
		}
	}
	if cap(sc.mask) > maxScratchBytes {
		sc.mask = nil
	}
	if 4*cap(sc.labels) > maxScratchBytes {
		sc.labels = nil
	}
	if 4*cap(sc.marks) > maxScratchBytes {
		sc.marks = nil
	}
	if 12*cap(sc.order) > maxScratchBytes {
		sc.order = nil
	}
	if 12*cap(sc.stack) > maxScratchBytes {
		sc.stack = nil
	}
	if 8*cap(sc.resample) > maxScratchBytes {
		sc.resample = nil
	}
}
