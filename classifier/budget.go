package classifier

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"runtime/debug"
	"sync"

	"github.com/digitbot/digitbot"
)

// DefaultMemoryBudget bounds the memory that decoding and preprocessing
// may hold at once across the whole process. The pixel cap alone does not:
// a 313 KB progressive CMYK JPEG of 6324x6324 pixels is under 40
// megapixels, yet Go's decoder holds 640 MB of DCT coefficients and three
// full-size planes for it. 192 MiB keeps the bot under 300 MB resident
// with every worker busy, and still admits a 40-megapixel RGBA PNG or an
// ordinary 4:2:0 photo of that size.
const DefaultMemoryBudget = 192 << 20

// preprocessReserve is what Preprocess allocates beyond the decoded image:
// it reduces the picture to at most workMaxSide a side while reading it, so
// its buffers are a few planes of 320x320 plus a few rows of the original.
const preprocessReserve = 4 << 20

// freeAfter is the reservation from which a decode returns its memory to
// the operating system before releasing its share of the budget. Without
// it, the garbage of a big decode stays resident until the next collection
// (Go lets the heap grow to twice the live data first), and the next
// decode, admitted by the budget, would stack its buffers on top: the
// resident size would reach twice the budget. debug.FreeOSMemory forces
// that collection; it costs a few milliseconds of a full GC, which a big
// decode (hundreds of milliseconds) dwarfs.
const freeAfter = 32 << 20

// MemoryBudget is a process-wide bound on the bytes held by image decodes:
// every decode reserves what its header says the decoder will allocate,
// waits while the budget is taken (as long as its context allows) and is
// refused with ETOOLARGE when it could never fit. Share one MemoryBudget
// between every Classifier of a process. It is safe for concurrent use.
type MemoryBudget struct {
	total int64

	mu      sync.Mutex
	used    int64
	waiters []*budgetWaiter // first come, first served: a big decode is not starved by small ones
}

type budgetWaiter struct {
	n     int64
	ready chan struct{} // closed once n is reserved for this waiter
}

// NewMemoryBudget returns a budget of total bytes; 0 or less selects
// DefaultMemoryBudget.
func NewMemoryBudget(total int64) *MemoryBudget {
	if total <= 0 {
		total = DefaultMemoryBudget
	}
	return &MemoryBudget{total: total}
}

// Total returns the size of the budget in bytes.
func (b *MemoryBudget) Total() int64 { return b.total }

// InUse returns the bytes reserved right now.
func (b *MemoryBudget) InUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// waiting returns how many reservations are waiting.
func (b *MemoryBudget) waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.waiters)
}

// reserve takes n bytes of the budget, waiting until they are free or ctx
// ends. n must not exceed the total.
func (b *MemoryBudget) reserve(ctx context.Context, n int64) error {
	b.mu.Lock()
	if len(b.waiters) == 0 && b.used+n <= b.total {
		b.used += n
		b.mu.Unlock()
		return nil
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	b.waiters = append(b.waiters, w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		select {
		case <-w.ready:
			// Granted while ctx ended: give it back.
			b.mu.Unlock()
			b.release(n)
		default:
			for i, o := range b.waiters {
				if o == w {
					b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
					break
				}
			}
			// The head may have been blocking smaller ones behind it.
			b.grantLocked()
			b.mu.Unlock()
		}
		return ctx.Err()
	}
}

// release returns n bytes to the budget and admits whoever now fits.
func (b *MemoryBudget) release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	if b.used < 0 {
		panic(fmt.Sprintf("classifier: memory budget released more than reserved (%d)", b.used))
	}
	b.grantLocked()
}

func (b *MemoryBudget) grantLocked() {
	for len(b.waiters) > 0 && b.used+b.waiters[0].n <= b.total {
		w := b.waiters[0]
		b.waiters = b.waiters[1:]
		b.used += w.n
		close(w.ready)
	}
}

// Decode decodes one image as the package-level Decode does, after
// reserving from the budget what decoding and preprocessing it will hold.
// The caller must call release once it no longer holds the image (after
// Preprocess); release returns the memory before freeing the reservation.
// An image whose decoding could never fit the budget is refused with
// ETOOLARGE; when ctx ends while waiting, the error is EUNAVAILABLE.
func (b *MemoryBudget) Decode(ctx context.Context, data []byte, maxBytes int64, maxPixels int) (img image.Image, release func(), err error) {
	h, err := readHeader(data, maxBytes, maxPixels)
	if err != nil {
		return nil, nil, err
	}
	return b.decodeFull(ctx, h, data, maxPixels)
}

// decodeFull decodes every pixel with the format's standard decoder.
func (b *MemoryBudget) decodeFull(ctx context.Context, h header, data []byte, maxPixels int) (img image.Image, release func(), err error) {
	release, err = b.take(ctx, h, decodeCost(h, data)+preprocessReserve)
	if err != nil {
		return nil, nil, err
	}
	img, err = h.decode(data, maxPixels)
	if err != nil {
		release()
		return nil, nil, err
	}
	return img, release, nil
}

// take reserves cost bytes for decoding the image h describes and returns
// the function that gives them back.
func (b *MemoryBudget) take(ctx context.Context, h header, cost int64) (release func(), err error) {
	if cost > b.total {
		return nil, digitbot.Errorf(digitbot.ETOOLARGE,
			"The image is too large to decode (%dx%d pixels, %s in memory); the limit is %s. Please send a smaller picture.",
			h.config.Width, h.config.Height, humanBytes(cost), humanBytes(b.total))
	}
	if err := b.reserve(ctx, cost); err != nil {
		return nil, digitbot.WrapError(digitbot.EUNAVAILABLE, "The classifier is busy; please try again.", err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			if cost >= freeAfter {
				debug.FreeOSMemory()
			}
			b.release(cost)
		})
	}, nil
}

// decodeForReading decodes as Decode does, except a baseline JPEG, which
// the luma decoder (jpegreduced.go) reads: the luma plane only, and for a
// picture far larger than the classifier needs (its shorter side at least
// twice digitbot.MinReadSide) at 1/2, 1/4 or 1/8 scale, at a fraction of
// the time and memory; and an 8-bit RGB or RGBA PNG, which pngluma.go
// reduces row by row as it decodes it (img is then a reducedPicture). scale is the number of the picture's pixels one
// pixel of img spans, a side; size is the picture's size. Without reduce,
// every image goes to the standard decoders at full size.
func (b *MemoryBudget) decodeForReading(ctx context.Context, data []byte, maxBytes int64, maxPixels int, reduce bool, sc *scratch) (img image.Image, scale int, size image.Point, release func(), err error) {
	h, err := readHeader(data, maxBytes, maxPixels)
	if err != nil {
		return nil, 0, size, nil, err
	}
	size = image.Pt(h.config.Width, h.config.Height)
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	// The same rule as for the media proxy's copy (digitbot.ReducedSize):
	// the smallest plausible digit keeps digitbot.MinDigitPixels.
	if s := jpegReducedScale(size.X, size.Y, digitbot.MinReadSide); reduce && h.format.name == "jpeg" && jpegReducible(data) {
		plane := int64((size.X+s-1)/s) * int64((size.Y+s-1)/s)
		release, err := b.take(ctx, h, plane+decoderOverhead+preprocessReserve)
		if err != nil {
			return nil, 0, size, nil, err
		}
		g, err := decodeJPEGReducedInto(data, s, maxPixels, sc)
		if err == nil {
			return g, s, size, release, nil
		}
		// A damaged file, or one of a kind the reduced decoder does not
		// read after all: the standard decoder decides, at full size.
		release()
	}
	if reduce && h.format.name == "png" && pngLumaReadable(h.config) {
		// A drawing or screenshot: each row's luma and alpha go straight
		// into the reduction preprocessing starts with (no picture is
		// held: two rows of it and the reduced planes).
		release, err := b.take(ctx, h, decoderOverhead+preprocessReserve)
		if err != nil {
			return nil, 0, size, nil, err
		}
		g, err := decodePNGGrey(data, maxPixels, sc)
		if err == nil {
			return &reducedPicture{g}, 1, size, release, nil
		}
		// Another kind, or damaged: image/png decides.
		release()
	}
	img, release, err = b.decodeFull(ctx, h, data, maxPixels)
	return img, 1, size, release, err
}

// decodeCost estimates, from the header, the bytes the format's decoder
// allocates for this image. It errs on the high side: an estimate too low
// over-commits the process, one too high only refuses a rare image.
func decodeCost(h header, data []byte) int64 {
	return pixelCost(h, data) + decoderOverhead
}

// decoderOverhead is what a decoder allocates whatever the image size:
// its state, Huffman or LZW tables, the 32 KB window of a zlib stream.
const decoderOverhead = 1 << 20

func pixelCost(h header, data []byte) int64 {
	w, ht := int64(h.config.Width), int64(h.config.Height)
	px := w * ht
	switch h.format.name {
	case "jpeg":
		return jpegCost(data, w, ht)
	case "png":
		return pngCost(data, w, ht)
	case "gif":
		// The first frame, paletted, at most the logical screen.
		return px
	case "bmp":
		// 8-bit and lower are paletted; others are (N)RGBA.
		return 4 * px
	case "webp":
		if len(data) >= 16 && string(data[12:16]) == "VP8 " {
			// Lossy without alpha: a 4:2:0 YCbCr image padded to
			// 16-pixel macroblocks.
			return (w + 16) * (ht + 16) * 3 / 2
		}
		// Lossless (4 bytes a pixel, plus transforms working on a second
		// copy) or extended with alpha.
		return 8 * px
	}
	return 8 * px
}

// pngCost: image/png allocates the destination image for the colour type
// and depth, two rows of raw data, and for an interlaced image one image
// per pass (together as large as the final one) before merging them.
func pngCost(data []byte, w, h int64) int64 {
	// IHDR is the first chunk: length, "IHDR", width, height, depth,
	// colour type, compression, filter, interlace.
	if len(data) < 8+8+13 {
		return 8 * w * h * 2
	}
	ihdr := data[16:29]
	depth, colour, interlaced := ihdr[8], ihdr[9], ihdr[12] != 0
	var perPixel, rawPerPixel int64
	switch colour {
	case 3: // paletted
		perPixel, rawPerPixel = 1, 1
	case 0, 2, 4, 6: // grey, RGB, grey+alpha, RGBA
		// A tRNS chunk turns grey and RGB into NRGBA (NRGBA64 at 16 bits).
		perPixel = 4
		if depth == 16 {
			perPixel = 8
		}
		rawPerPixel = perPixel
	default:
		perPixel, rawPerPixel = 8, 8
	}
	cost := perPixel*w*h + 2*(rawPerPixel*w+1)
	if interlaced {
		cost *= 2
	}
	return cost
}

// jpegCost: image/jpeg allocates, for the components and sampling factors
// of the frame header (SOF), a Gray image or a YCbCr image padded to whole
// MCUs plus a separate plane for a fourth (black) component; a progressive
// image also keeps every DCT coefficient of every component until the last
// scan, 64 int32 per 8x8 block, four times the plane; a CMYK, YCbCrK or RGB
// image is finally converted into a new 4-byte-per-pixel image while the
// planes are still held.
func jpegCost(data []byte, w, h int64) int64 {
	// Worst case if the frame header cannot be read here (the standard
	// decoder read it, so this is only defence in depth): four full-size
	// progressive components and a conversion.
	worst := w*h*4*(1+4) + 4*w*h
	sof, progressive, jfif, ok := jpegFrame(data)
	if !ok {
		return worst
	}
	nComp := int(sof[5])
	if len(sof) < 6+3*nComp || nComp == 0 {
		return worst
	}
	if nComp == 1 {
		// image/jpeg ignores the sampling factors of a grey image.
		mxx, myy := (w+7)/8, (h+7)/8
		plane := 64 * mxx * myy
		if progressive {
			return plane * 5
		}
		return plane
	}
	hmax, vmax := int64(1), int64(1)
	for i := range nComp {
		f := sof[6+3*i+1]
		hmax, vmax = max(hmax, int64(f>>4)), max(vmax, int64(f&15))
	}
	mxx, myy := (w+8*hmax-1)/(8*hmax), (h+8*vmax-1)/(8*vmax)
	var planes int64
	for i := range nComp {
		f := sof[6+3*i+1]
		hi, vi := max(int64(f>>4), 1), max(int64(f&15), 1)
		planes += 64 * mxx * hi * myy * vi
	}
	cost := planes
	if progressive {
		cost += 4 * planes // block = [64]int32 per 64 pixels
	}
	// image/jpeg converts CMYK/YCbCrK and RGB into a new RGBA-sized image.
	// A 3-component file is RGB unless JFIF, when an Adobe APP14 marker says
	// transform 0 or the components are named R, G, B.
	if nComp == 4 || (!jfif && (jpegAdobeRGB(data) || jpegNamedRGB(sof))) {
		cost += 4 * w * h
	}
	return cost
}

// jpegNamedRGB reports whether the frame's three components are 'R', 'G'
// and 'B'.
func jpegNamedRGB(sof []byte) bool {
	return len(sof) >= 6+9 && sof[6] == 'R' && sof[9] == 'G' && sof[12] == 'B'
}

// jpegAdobeRGB reports whether an Adobe APP14 marker with transform 0 is
// anywhere in the file: image/jpeg reads such markers wherever they are,
// between scans too, so stopping at the frame header would let a file hide
// one. The bytes 0xFF 0xEE cannot occur inside entropy-coded data (a 0xFF
// there is followed by 0x00 or a restart marker), so a plain search finds
// every such marker.
func jpegAdobeRGB(data []byte) bool {
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte{0xff, 0xee})
		if j < 0 {
			return false
		}
		i += j + 2
		// Length (2), "Adobe", version (2), flags0 (2), flags1 (2), transform.
		if p := data[i:]; len(p) >= 2+12 && string(p[2:7]) == "Adobe" && p[2+11] == 0 {
			return true
		}
	}
}

// jpegFrame walks the markers up to the frame header and returns its
// payload (after the length), whether it is progressive, and whether a
// JFIF APP0 marker came before it.
func jpegFrame(data []byte) (sof []byte, progressive, jfif, ok bool) {
	i := 2 // after SOI
	for i+4 <= len(data) {
		if data[i] != 0xff {
			return nil, false, false, false
		}
		marker := data[i+1]
		if marker == 0xff { // fill byte
			i++
			continue
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return nil, false, false, false
		}
		payload := data[i+4 : i+2+n]
		switch marker {
		case 0xc0, 0xc1, 0xc2:
			if len(payload) < 6 {
				return nil, false, false, false
			}
			return payload, marker == 0xc2, jfif, true
		case 0xe0:
			if len(payload) >= 5 && string(payload[:5]) == "JFIF\x00" {
				jfif = true
			}
		case 0xda, 0xd9: // a scan or the end before any frame
			return nil, false, false, false
		}
		i += 2 + n
	}
	return nil, false, false, false
}
