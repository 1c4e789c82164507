package classifier

import (
	"bytes"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/bmp"
	"golang.org/x/image/webp"

	"github.com/digitbot/digitbot"
)

// Default limits: the domain's (see digitbot.DefaultMaxImageBytes and
// digitbot.DefaultMaxImagePixels for why these values).
const (
	DefaultMaxBytes  = digitbot.DefaultMaxImageBytes
	DefaultMaxPixels = digitbot.DefaultMaxImagePixels
)

// format is one image format we decode. We call each decoder directly,
// chosen by the file's magic bytes, instead of going through image.Decode:
// image.Decode accepts whatever any package in the binary registered (a
// dependency that registers TIFF would silently widen our attack surface).
type format struct {
	name         string
	decodeConfig func(io.Reader) (image.Config, error)
	decode       func(io.Reader) (image.Image, error)
}

var (
	formatPNG  = format{"png", png.DecodeConfig, png.Decode}
	formatJPEG = format{"jpeg", jpeg.DecodeConfig, jpeg.Decode}
	formatGIF  = format{"gif", gif.DecodeConfig, gif.Decode} // gif.Decode returns the first frame
	formatBMP  = format{"bmp", bmp.DecodeConfig, bmp.Decode}
	formatWebP = format{"webp", webp.DecodeConfig, webp.Decode}
)

const supportedList = "PNG, JPEG, GIF, BMP or WebP"

// sniff recognises the format from the content, never from a file name.
// It returns the format, or an *digitbot.Error saying why it is refused.
func sniff(data []byte) (format, error) {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG, nil
	case bytes.HasPrefix(data, []byte("\xff\xd8")):
		return formatJPEG, nil
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return formatGIF, nil
	case bytes.HasPrefix(data, []byte("BM")):
		return formatBMP, nil
	case len(data) >= 16 && string(data[0:4]) == "RIFF" && string(data[8:15]) == "WEBPVP8":
		return formatWebP, nil
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		// TIFF is refused on purpose: golang.org/x/image/tiff has the worst
		// security history of the x/image decoders (several out-of-memory and
		// panic CVEs from crafted strip/tile headers), and nobody posts TIFF
		// digits in a chat.
		return format{}, digitbot.Errorf(digitbot.EUNSUPPORTED,
			"TIFF images are not supported; please send a %s.", supportedList)
	case len(data) >= 12 && string(data[4:8]) == "ftyp" && isHEIFBrand(string(data[8:12])):
		return format{}, digitbot.Errorf(digitbot.EUNSUPPORTED,
			"HEIC/AVIF photos are not supported; please send a %s (phones can share photos as JPEG).", supportedList)
	}
	return format{}, digitbot.Errorf(digitbot.EUNSUPPORTED,
		"This file is not an image format I can read; please send a %s.", supportedList)
}

func isHEIFBrand(brand string) bool {
	switch brand {
	case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1", "avif", "avis":
		return true
	}
	return false
}

// Decode decodes one image with bounded resources: it refuses more than
// maxBytes bytes, reads the header to refuse more than maxPixels pixels
// before any pixel buffer is allocated, and turns decoder panics into
// errors. maxBytes and maxPixels of 0 select the defaults. Errors are
// *digitbot.Error with codes EINVALIDIMAGE, EUNSUPPORTED or ETOOLARGE.
//
// Decode does not bound the memory the decoder allocates (a small file
// can declare a picture whose decoding takes hundreds of megabytes): use
// a MemoryBudget's Decode for uploads.
func Decode(data []byte, maxBytes int64, maxPixels int) (img image.Image, err error) {
	h, err := readHeader(data, maxBytes, maxPixels)
	if err != nil {
		return nil, err
	}
	return h.decode(data, maxPixels)
}

// header is what the file says about itself, read before any pixel
// buffer is allocated.
type header struct {
	format format
	config image.Config
}

// readHeader checks the size limits and reads the header.
func readHeader(data []byte, maxBytes int64, maxPixels int) (h header, err error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	if len(data) == 0 {
		return h, digitbot.Errorf(digitbot.EINVALIDIMAGE, "The file is empty.")
	}
	if int64(len(data)) > maxBytes {
		return h, digitbot.Errorf(digitbot.ETOOLARGE,
			"The file is too large (%s); the limit is %s.", humanBytes(int64(len(data))), humanBytes(maxBytes))
	}
	f, err := sniff(data)
	if err != nil {
		return h, err
	}
	defer func() {
		if r := recover(); r != nil {
			err = digitbot.WrapError(digitbot.EINVALIDIMAGE,
				"The image could not be decoded: the file is damaged.", fmt.Errorf("%s header decoder panic: %v", f.name, r))
		}
	}()
	cfg, err := f.decodeConfig(bytes.NewReader(data))
	if err != nil {
		return h, digitbot.WrapError(digitbot.EINVALIDIMAGE,
			fmt.Sprintf("The %s header could not be read: the file is damaged or incomplete.", upper(f.name)), err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return h, digitbot.Errorf(digitbot.EINVALIDIMAGE, "The image has no pixels (%dx%d).", cfg.Width, cfg.Height)
	}
	// int64: 100000*100000 overflows nothing here but would on 32-bit ints.
	if int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return h, digitbot.Errorf(digitbot.ETOOLARGE,
			"The image is too large (%dx%d pixels); the limit is %s.", cfg.Width, cfg.Height, megapixels(maxPixels))
	}
	return header{format: f, config: cfg}, nil
}

// decode decodes the pixels, turning decoder panics into errors.
func (h header) decode(data []byte, maxPixels int) (img image.Image, err error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	defer func() {
		if r := recover(); r != nil {
			img = nil
			err = digitbot.WrapError(digitbot.EINVALIDIMAGE,
				"The image could not be decoded: the file is damaged.", fmt.Errorf("%s decoder panic: %v", h.format.name, r))
		}
	}()
	img, err = h.format.decode(bytes.NewReader(data))
	if err != nil {
		return nil, digitbot.WrapError(digitbot.EINVALIDIMAGE,
			fmt.Sprintf("The %s image could not be decoded: the file is damaged or incomplete.", upper(h.format.name)), err)
	}
	// Defence in depth: a decoder must not produce more than its header said.
	if b := img.Bounds(); b.Empty() || int64(b.Dx())*int64(b.Dy()) > int64(maxPixels) ||
		b.Dx() > h.config.Width || b.Dy() > h.config.Height {
		return nil, digitbot.Errorf(digitbot.EINVALIDIMAGE,
			"The image could not be decoded: its size (%dx%d) is invalid.", b.Dx(), b.Dy())
	}
	return img, nil
}

func upper(name string) string {
	switch name {
	case "webp":
		return "WebP"
	}
	b := []byte(name)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func megapixels(n int) string {
	return fmt.Sprintf("%g megapixels", float64(n)/1e6)
}
