package classifier

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"testing"
)

// scanSetup is what a test needs to walk a JPEG's first scan block by
// block: its tables, the order of the blocks in an MCU and where its
// entropy-coded data starts.
type scanSetup struct {
	data   []byte
	pos    int
	dc, ac [4]huffTable
	quant  [64]uint16
	blocks []struct{ dc, ac, comp int } // the blocks of one MCU, in order
	mcus   int
	w, h   int // the picture
	mcusX  int // MCUs a row
	h0, v0 int // the luma's sampling factors
}

// parseScan reads the markers up to the first scan of an interleaved
// baseline JPEG (as image/jpeg writes them).
func parseScan(tb testing.TB, data []byte) *scanSetup {
	tb.Helper()
	s := &scanSetup{data: data}
	type comp struct{ id, h, v int }
	var comps []comp
	var w, h int
	pos := 2
	for pos+4 <= len(data) {
		marker := data[pos+1]
		n := int(binary.BigEndian.Uint16(data[pos+2:]))
		seg := data[pos+4 : pos+2+n]
		pos += 2 + n
		switch marker {
		case 0xdb:
			for i := range 64 {
				s.quant[i] = uint16(seg[1+i]) // the first table: luma's
			}
		case 0xc0:
			h, w = int(binary.BigEndian.Uint16(seg[1:])), int(binary.BigEndian.Uint16(seg[3:]))
			for i := range int(seg[5]) {
				comps = append(comps, comp{int(seg[6+3*i]), int(seg[7+3*i] >> 4), int(seg[7+3*i] & 15)})
			}
			if len(comps) == 1 {
				comps[0].h, comps[0].v = 1, 1
			}
		case 0xc4:
			for len(seg) > 0 {
				var counts [16]uint8
				copy(counts[:], seg[1:17])
				total := 0
				for _, c := range counts {
					total += int(c)
				}
				t := &s.dc[seg[0]&15]
				if seg[0]>>4 == 1 {
					t = &s.ac[seg[0]&15]
				}
				if err := t.build(&counts, seg[17:17+total], seg[0]>>4 == 1); err != nil {
					tb.Fatal(err)
				}
				seg = seg[17+total:]
			}
		case 0xda:
			for i := range int(seg[0]) {
				id, tables := int(seg[1+2*i]), seg[2+2*i]
				for ci, c := range comps {
					if c.id == id {
						for range c.h * c.v {
							s.blocks = append(s.blocks, struct{ dc, ac, comp int }{int(tables >> 4), int(tables & 15), ci})
						}
					}
				}
			}
			s.pos = pos
			hm, vm := comps[0].h, comps[0].v
			s.mcusX = (w + 8*hm - 1) / (8 * hm)
			s.mcus = s.mcusX * ((h + 8*vm - 1) / (8 * vm))
			s.w, s.h, s.h0, s.v0 = w, h, hm, vm
			return s
		}
	}
	tb.Fatal("no scan")
	return nil
}

// compareBlocks decodes blocks of s's scan (at most max) with block and
// with blockBySymbol, luma keeping coefficients up to last and chroma
// none, and reports the first difference: in what they return, the
// coefficients they store, or the reader's state after them. It returns
// how many blocks it compared.
func compareBlocks(s *scanSetup, last, max int) (int, error) {
	fast, slow := &bitReader{data: s.data, pos: s.pos}, &bitReader{data: s.data, pos: s.pos}
	var cf, cs [64]int32
	n := 0
	for range s.mcus {
		for _, b := range s.blocks {
			l := last
			if b.comp != 0 {
				l = -1
			}
			clear(cf[:])
			clear(cs[:])
			dcF, acF, errF := fast.block(&s.dc[b.dc], &s.ac[b.ac], &cf, &s.quant, l)
			dcS, acS, errS := slow.blockBySymbol(&s.dc[b.dc], &s.ac[b.ac], &cs, &s.quant, l)
			if fmt.Sprint(errF) != fmt.Sprint(errS) || dcF != dcS || acF != acS || cf != cs {
				return n, fmt.Errorf("block %d (component %d, last %d): block gives dc %d, AC %v, error %v, coefficients %v; blockBySymbol dc %d, AC %v, error %v, coefficients %v",
					n, b.comp, l, dcF, acF, errF, cf, dcS, acS, errS, cs)
			}
			if !sameReaderPosition(fast, slow) {
				return n, fmt.Errorf("block %d (component %d, last %d): reader at bit %d (%+v), want %d (%+v)", n, b.comp, l,
					consumedBits(fast), *fast, consumedBits(slow), *slow)
			}
			n++
			if errF != nil || n == max {
				return n, nil
			}
		}
	}
	if fast.overrun() != slow.overrun() {
		return n, fmt.Errorf("after %d blocks: overrun %v, want %v", n, fast.overrun(), slow.overrun())
	}
	return n, nil
}

// consumedBits is how many bits of the entropy-coded data r has used,
// stuffed zero bytes not counted and the zero bits fed after a marker
// counted: when the reader fills its accumulator does not change it.
func consumedBits(r *bitReader) int {
	fed := r.pos - bytes.Count(r.data[:r.pos], []byte{0xff}) // each 0xff read was followed by a stuffed 0
	return 8*fed + int(r.pad) - int(r.n)
}

// sameReaderPosition reports whether two readers of the same data have
// used the same bits and see the same bits next.
func sameReaderPosition(a, b *bitReader) bool {
	m := min(a.n, b.n)
	return consumedBits(a) == consumedBits(b) && (m == 0 || a.acc>>(64-m) == b.acc>>(64-m))
}

// TestBlock_SameAsBySymbol: the block decoder's shortcuts (whole DC and
// AC coefficients in one lookup, the skip lookups) read what the symbol-by-symbol decoding reads,
// on photos and flat pictures, colour and grey, at every quality and every
// number of coefficients kept (1/1 to 1/8 scale), with and without the
// skip lookups.
func TestBlock_SameAsBySymbol(t *testing.T) {
	flat := image.NewGray(image.Rect(0, 0, 61, 43))
	for i := range flat.Pix {
		flat.Pix[i] = uint8(i % 7 * 30)
	}
	grey := image.NewGray(image.Rect(0, 0, 160, 120))
	for i, v := range photoLike(160, 120, 5).Pix {
		if i%4 == 1 {
			grey.Pix[i/4] = v
		}
	}
	for _, c := range []struct {
		name string
		img  image.Image
	}{{"photo", photoLike(203, 117, 3)}, {"grey photo", grey}, {"flat", flat}} {
		for _, q := range []int{1, 30, 75, 90, 100} {
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, c.img, &jpeg.Options{Quality: q}); err != nil {
				t.Fatal(err)
			}
			for _, last := range []int{63, 24, 4, 0} {
				for _, skip := range []bool{false, true} {
					s := parseScan(t, buf.Bytes())
					if skip {
						for i := range s.ac {
							if s.ac[i].defined {
								s.ac[i].buildSkip()
							}
						}
					}
					n, err := compareBlocks(s, last, -1)
					if err != nil {
						t.Fatalf("%s, quality %d, skip %v: %v", c.name, q, skip, err)
					}
					if n != s.mcus*len(s.blocks) {
						t.Fatalf("%s, quality %d: compared %d blocks of %d", c.name, q, n, s.mcus*len(s.blocks))
					}
				}
			}
		}
	}
}

// FuzzBlock_SameAsBySymbol: on any entropy-coded data (with image/jpeg's
// tables, the skip lookups built or not), block and blockBySymbol read
// the same, errors included.
//
//	go test -run '^$' -fuzz FuzzBlock_SameAsBySymbol -fuzztime 60s ./classifier/
func FuzzBlock_SameAsBySymbol(f *testing.F) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, photoLike(48, 32, 9), &jpeg.Options{Quality: 80}); err != nil {
		f.Fatal(err)
	}
	header := parseScan(f, buf.Bytes())
	f.Add(buf.Bytes()[header.pos:], uint8(0))
	f.Add([]byte{0xff, 0x00, 0x12, 0xff, 0xd9}, uint8(5))
	f.Add(bytes.Repeat([]byte{0x55}, 40), uint8(3))
	f.Fuzz(func(t *testing.T, scan []byte, mode uint8) {
		s := *header
		s.data, s.pos = scan, 0
		if mode&4 != 0 {
			for i := range s.ac {
				if s.ac[i].defined {
					s.ac[i].buildSkip()
				}
			}
		}
		last := []int{63, 24, 4, 0}[mode&3]
		if _, err := compareBlocks(&s, last, 200); err != nil {
			t.Fatal(err)
		}
	})
}

// photoBlocks are the dequantised luma blocks of a 400x400 photo JPEG
// (quality 85, as the benchmarks' upload), for kernel benchmarks.
func photoBlocks(tb testing.TB) [][64]int32 {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, photoLike(400, 400, 11), &jpeg.Options{Quality: 85}); err != nil {
		tb.Fatal(err)
	}
	s := parseScan(tb, buf.Bytes())
	r := &bitReader{data: s.data, pos: s.pos}
	var out [][64]int32
	var pred int32
	for range s.mcus {
		for _, b := range s.blocks {
			var coef [64]int32
			last := 63
			if b.comp != 0 {
				last = -1
			}
			dc, _, err := r.block(&s.dc[b.dc], &s.ac[b.ac], &coef, &s.quant, last)
			if err != nil {
				tb.Fatal(err)
			}
			if b.comp == 0 {
				pred += dc
				coef[0] = pred * int32(s.quant[0])
				out = append(out, coef)
			}
		}
	}
	return out
}

// BenchmarkFullBlockKernels times each 8x8 inverse DCT the CPU runs on
// the blocks of a photo.
func BenchmarkFullBlockKernels(b *testing.B) {
	blocks := photoBlocks(b)
	tr := newReducedIDCT(8)
	out := image.NewGray(image.Rect(0, 0, 8, 8))
	for name, kernel := range fullBlockKernels() {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				for i := range blocks {
					kernel(out, &tr, &blocks[i], 0, 0, 8, 8)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(blocks)), "ns/block")
		})
	}
}

// TestHuffTable_ReusedOnlyWhenTheSame: a table built again from the same
// class, counts and symbols is kept as it was (skip lookup included);
// from anything else it is built afresh, equal to a new table.
func TestHuffTable_ReusedOnlyWhenTheSame(t *testing.T) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, photoLike(32, 32, 1), &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	// The four standard tables image/jpeg writes, as DHT gives them.
	type source struct {
		counts [16]uint8
		vals   []uint8
		ac     bool
	}
	var sources []source
	data := buf.Bytes()
	for pos := 2; pos+4 <= len(data) && data[pos+1] != 0xda; {
		n := int(binary.BigEndian.Uint16(data[pos+2:]))
		seg := data[pos+4 : pos+2+n]
		if data[pos+1] == 0xc4 {
			for len(seg) > 0 {
				var c [16]uint8
				copy(c[:], seg[1:17])
				total := 0
				for _, k := range c {
					total += int(k)
				}
				sources = append(sources, source{c, seg[17 : 17+total], seg[0]>>4 == 1})
				seg = seg[17+total:]
			}
		}
		pos += 2 + n
	}
	if len(sources) != 4 {
		t.Fatalf("%d tables, want 4", len(sources))
	}
	fresh := func(s source) huffTable {
		var f huffTable
		if err := f.build(&s.counts, s.vals, s.ac); err != nil {
			t.Fatal(err)
		}
		return f
	}
	same := func(a, b *huffTable) bool {
		return a.look == b.look && a.maxCode == b.maxCode && a.valPtr == b.valPtr && a.vals == b.vals && a.fast == b.fast && a.defined == b.defined
	}
	var reused huffTable
	for i, s := range append(sources, sources[2], sources[2], sources[0], sources[3], sources[3]) {
		reused.defined = false // as huffTables leaves it for the next picture
		before := reused.skipReady
		wasSame := reused.sameSource(&s.counts, s.vals, s.ac)
		if err := reused.build(&s.counts, s.vals, s.ac); err != nil {
			t.Fatal(err)
		}
		want := fresh(s)
		if !same(&reused, &want) {
			t.Fatalf("build %d: the table differs from a fresh one", i)
		}
		if reused.skipReady != (wasSame && before) {
			t.Fatalf("build %d: skip lookup ready %v (same source %v, ready before %v)", i, reused.skipReady, wasSame, before)
		}
		if s.ac {
			reused.buildSkip()
		}
	}
	// The same counts and symbols in the other class are another table.
	s := sources[0]
	if reused.sameSource(&s.counts, s.vals, !s.ac) {
		t.Fatal("a DC table's source taken for an AC table's")
	}
}

// bySymbolPlane decodes the luma of an interleaved baseline JPEG at
// 1/scale the plain way: blockBySymbol for every block, in MCU order, and
// the same inverse DCTs.
func bySymbolPlane(tb testing.TB, data []byte, scale int) *image.Gray {
	tb.Helper()
	s := parseScan(tb, data)
	n := 8 / scale
	out := image.NewGray(image.Rect(0, 0, (s.w+scale-1)/scale, (s.h+scale-1)/scale))
	idct := newReducedIDCT(n)
	lastUsed := 0
	for k, z := range zigzag {
		if int(z)%8 < n && int(z)/8 < n {
			lastUsed = k
		}
	}
	r := &bitReader{data: s.data, pos: s.pos}
	var preds [3]int32
	for m := range s.mcus {
		mx, my, luma := m%s.mcusX, m/s.mcusX, 0
		for _, b := range s.blocks {
			var coef [64]int32
			last := -1
			if b.comp == 0 {
				last = lastUsed
			}
			dc, hasAC, err := r.blockBySymbol(&s.dc[b.dc], &s.ac[b.ac], &coef, &s.quant, last)
			if err != nil {
				tb.Fatal(err)
			}
			preds[b.comp] += dc
			if b.comp != 0 {
				continue
			}
			coef[0] = preds[0] * int32(s.quant[0])
			px, py := mx*s.h0+luma%s.h0, my*s.v0+luma/s.h0
			luma++
			writeReducedBlock(out, &idct, &coef, hasAC, px*n, py*n)
		}
	}
	return out
}

// TestDecodeJPEGReduced_SameAsBySymbol: the luma decoder's planes, byte
// for byte, are those of the plain decoding, colour (4:2:0) and grey, at
// every scale (the skip lookups are built at 1/4 and 1/8), odd sizes.
func TestDecodeJPEGReduced_SameAsBySymbol(t *testing.T) {
	grey := image.NewGray(image.Rect(0, 0, 131, 77))
	for i, v := range photoLike(131, 77, 8).Pix {
		if i%4 == 1 {
			grey.Pix[i/4] = v
		}
	}
	sc := &scratch{} // reused across pictures, as a Classifier's pool does
	for _, c := range []struct {
		name string
		img  image.Image
	}{{"4:2:0", photoLike(203, 117, 3)}, {"grey", grey}, {"4:2:0 large", photoLike(640, 360, 4)}} {
		for _, q := range []int{20, 75, 95} {
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, c.img, &jpeg.Options{Quality: q}); err != nil {
				t.Fatal(err)
			}
			for _, scale := range []int{1, 2, 4, 8} {
				got, err := decodeJPEGReducedInto(buf.Bytes(), scale, DefaultMaxPixels, sc)
				if err != nil {
					t.Fatal(err)
				}
				if want := bySymbolPlane(t, buf.Bytes(), scale); !bytes.Equal(got.Pix, want.Pix) || got.Rect != want.Rect {
					t.Fatalf("%s, quality %d, 1/%d: the plane differs from the plain decoding", c.name, q, scale)
				}
			}
		}
	}
}
