package store

import "github.com/digitbot/digitbot"

// The 28x28 inputs are kept losslessly for a future learning loop. They are
// mostly background with a stroke of bright ink and grey edges, which the
// run-length encoding of schema v1 stored in about 190 bytes (MNIST's
// digits); an adaptive binary range coder (LZMA's) with the neighbours as
// context stores them in about 125 (TestStore_Pixels_SmallerThanRuns).
//
// A picture is coded pixel by pixel in raster order: first whether it is
// ink, in the context of which of its six already-coded neighbours (left,
// up, both diagonals above, two left, two up) are; then, for ink, its value
// bit by bit from the top, in one of eight context classes: the brightest
// of its left and upper neighbours in four bands, and whether both are ink.
// The statistics start empty for each picture, so a record decodes on its
// own. An all-background picture (the top-level input of a number reading)
// is stored as nothing.

const (
	probBits = 12 // probabilities are out of 1<<probBits
	rcTop    = 1 << 24
)

// bitModel counts the zeros and ones seen in one context: the probability
// of a zero is the Krichevsky-Trofimov estimate (n0+1/2)/(n+1), which
// learns faster than a decaying average on the few hundred bits a picture
// has.
type bitModel [2]uint16

func (c *bitModel) p0() uint32 {
	p := (uint32(c[0])*2 + 1) << probBits / (uint32(c[0]+c[1])*2 + 2)
	return min(max(p, 16), 1<<probBits-16)
}

func (c *bitModel) update(b int) {
	c[b]++
	if c[b] == 1<<12 { // keep the sums small; never reached on one picture
		c[0], c[1] = c[0]/2, c[1]/2
	}
}

// pixelModel holds the adaptive statistics of one picture.
type pixelModel struct {
	ink   [64]bitModel
	value [8][256]bitModel // binary tree per context class, node 1 is the root
}

func newPixelModel() *pixelModel { return &pixelModel{} }

// contexts returns the ink context and value class of pixel i.
func pixelContexts(px *[digitbot.InputSide * digitbot.InputSide]uint8, i int) (ink int, class int) {
	const side = digitbot.InputSide
	x, y := i%side, i/side
	at := func(dx, dy int) uint8 {
		if x+dx < 0 || x+dx >= side || y+dy < 0 {
			return 0
		}
		return px[(y+dy)*side+x+dx]
	}
	w, n, nw, ne, ww, nn := at(-1, 0), at(0, -1), at(-1, -1), at(1, -1), at(-2, 0), at(0, -2)
	for bit, v := range []uint8{w, n, nw, ne, ww, nn} {
		if v != 0 {
			ink |= 1 << bit
		}
	}
	switch m := max(w, n); {
	case m == 0:
		class = 0
	case m < 128:
		class = 1
	case m < 240:
		class = 2
	default:
		class = 3
	}
	if w != 0 && n != 0 {
		class += 4
	}
	return ink, class
}

type rangeEncoder struct {
	low       uint64
	rng       uint32
	cache     byte
	cacheSize int
	out       []byte
}

func (e *rangeEncoder) bit(m *bitModel, b int) {
	bound := (e.rng >> probBits) * m.p0()
	m.update(b)
	if b == 0 {
		e.rng = bound
	} else {
		e.low += uint64(bound)
		e.rng -= bound
	}
	for e.rng < rcTop {
		e.rng <<= 8
		e.shiftLow()
	}
}

func (e *rangeEncoder) shiftLow() {
	if uint32(e.low) < 0xFF000000 || e.low>>32 != 0 {
		carry := byte(e.low >> 32)
		temp := e.cache
		for {
			e.out = append(e.out, temp+carry)
			temp = 0xFF
			e.cacheSize--
			if e.cacheSize == 0 {
				break
			}
		}
		e.cache = byte(uint32(e.low) >> 24)
	}
	e.cacheSize++
	e.low = uint64(uint32(e.low) << 8)
}

// encodePixels appends the coded picture to b.
func encodePixels(b []byte, px *[digitbot.InputSide * digitbot.InputSide]uint8) []byte {
	if *px == ([digitbot.InputSide * digitbot.InputSide]uint8{}) {
		return b
	}
	m := newPixelModel()
	e := rangeEncoder{rng: 0xFFFFFFFF, cacheSize: 1}
	for i, v := range px {
		ink, class := pixelContexts(px, i)
		if v == 0 {
			e.bit(&m.ink[ink], 0)
			continue
		}
		e.bit(&m.ink[ink], 1)
		tree := &m.value[class]
		node := 1
		for k := 7; k >= 0; k-- {
			bit := int(v>>k) & 1
			e.bit(&tree[node], bit)
			node = node<<1 | bit
		}
	}
	for range 5 {
		e.shiftLow()
	}
	// The first byte is always the encoder's initial zero cache, and the
	// decoder reads zeros past the end: neither needs storing.
	out := e.out[1:]
	for len(out) > 0 && out[len(out)-1] == 0 {
		out = out[:len(out)-1]
	}
	return append(b, out...)
}

type rangeDecoder struct {
	rng, code uint32
	in        []byte
}

func (d *rangeDecoder) next() uint32 {
	if len(d.in) == 0 {
		return 0
	}
	c := d.in[0]
	d.in = d.in[1:]
	return uint32(c)
}

func (d *rangeDecoder) bit(m *bitModel) int {
	bound := (d.rng >> probBits) * m.p0()
	var b int
	if d.code < bound {
		d.rng = bound
	} else {
		d.code -= bound
		d.rng -= bound
		b = 1
	}
	m.update(b)
	for d.rng < rcTop {
		d.rng <<= 8
		d.code = d.code<<8 | d.next()
	}
	return b
}

// decodePixels decodes what encodePixels wrote. Corrupt input decodes to
// some picture, never to an error or a panic; the record around it is
// checked instead.
func decodePixels(in []byte, px *[digitbot.InputSide * digitbot.InputSide]uint8) {
	*px = [digitbot.InputSide * digitbot.InputSide]uint8{}
	if len(in) == 0 {
		return
	}
	m := newPixelModel()
	d := rangeDecoder{rng: 0xFFFFFFFF, in: in}
	for range 4 {
		d.code = d.code<<8 | d.next()
	}
	for i := range px {
		ink, class := pixelContexts(px, i)
		if d.bit(&m.ink[ink]) == 0 {
			continue
		}
		tree := &m.value[class]
		node := 1
		for range 8 {
			node = node<<1 | d.bit(&tree[node])
		}
		px[i] = uint8(node)
	}
}
