package fakediscord

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"
	"strconv"
)

// Discord's media proxy (media.discordapp.net, an attachment's proxy_url)
// serves the attachment like the CDN, and a downscaled copy when asked
// with width and height query parameters: the picture fitted inside
// width×height, keeping its aspect ratio, never enlarged, in the
// original's format. Discord does not document those parameters for
// attachments (its clients use them); the fake implements what they do.

// MediaProxyFault is how the fake media proxy misbehaves when asked for a
// downscaled copy; the CDN and unsized proxy requests are unaffected.
type MediaProxyFault int

const (
	MediaProxyOK          MediaProxyFault = iota // resizes
	MediaProxyError                              // 502 Bad Gateway
	MediaProxyWrongType                          // 200 with an HTML page
	MediaProxyCorrupt                            // 200, labelled as the image, but truncated
	MediaProxyIgnoresSize                        // the original, whatever was asked
	MediaProxyHang                               // no answer until the client gives up
)

// SetMediaProxyFault makes the media proxy's resized answers fail as f
// says (MediaProxyOK restores it).
func (s *Server) SetMediaProxyFault(f MediaProxyFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mediaFault = f
}

// CDNStats counts the attachment downloads served.
type CDNStats struct {
	Originals int // whole files, from the CDN or the media proxy without a size
	Resized   int // downscaled copies the media proxy was asked for (faulty ones too)
}

// CDNStats returns the downloads served so far.
func (s *Server) CDNStats() CDNStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cdnStats
}

// resizeRequest reads width and height from a media proxy URL: ok when
// both are positive numbers.
func resizeRequest(r *http.Request) (w, h int, ok bool) {
	if host, _, _ := splitHostPort(r.Host); host != "media.discordapp.net" {
		return 0, 0, false
	}
	q := r.URL.Query()
	w, errW := strconv.Atoi(q.Get("width"))
	h, errH := strconv.Atoi(q.Get("height"))
	return w, h, errW == nil && errH == nil && w > 0 && h > 0
}

// serveResized answers a media proxy request with a size.
func (s *Server) serveResized(w http.ResponseWriter, r *http.Request, f *storedFile, maxW, maxH int) {
	s.mu.Lock()
	fault := s.mediaFault
	s.cdnStats.Resized++
	s.mu.Unlock()
	switch fault {
	case MediaProxyError:
		http.Error(w, "upstream error", http.StatusBadGateway)
		return
	case MediaProxyWrongType:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<html><body>Something went wrong</body></html>"))
		return
	case MediaProxyHang:
		<-r.Context().Done()
		return
	}
	data, ct := f.Data, f.ContentType
	if fault != MediaProxyIgnoresSize {
		s.resizing.Lock()
		data, ct = resizedCopy(f.Data, f.ContentType, maxW, maxH)
		s.resizing.Unlock()
	}
	if fault == MediaProxyCorrupt {
		data = data[:len(data)/2]
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
}

// resizedCopy fits the picture inside maxW×maxH (area averaging), encoded
// as JPEG when it was one and as PNG otherwise. A picture that already
// fits, or that cannot be decoded, is returned as it is.
func resizedCopy(data []byte, contentType string, maxW, maxH int) ([]byte, string) {
	src, format, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return data, contentType
	}
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if sw <= maxW && sh <= maxH {
		return data, contentType
	}
	// The larger reduction of the two sides, so both fit.
	dw, dh := maxW, sh*maxW/sw
	if int64(sh)*int64(maxW) > int64(sw)*int64(maxH) {
		dw, dh = sw*maxH/sh, maxH
	}
	dst := boxDownscale(src, max(dw, 1), max(dh, 1))
	var out bytes.Buffer
	if format == "jpeg" {
		if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: 85}); err != nil {
			return data, contentType
		}
		return out.Bytes(), "image/jpeg"
	}
	if err := png.Encode(&out, dst); err != nil {
		return data, contentType
	}
	return out.Bytes(), "image/png"
}

// boxDownscale averages the source pixels each destination pixel covers.
func boxDownscale(src image.Image, dw, dh int) *image.NRGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dst := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	sums := make([][4]uint64, dw)
	counts := make([]uint64, dw)
	at := func(x, y int) (r, g, b, a uint32) { return src.At(x, y).RGBA() }
	if m, ok := src.(image.RGBA64Image); ok {
		// Without allocating a color.Color per pixel.
		at = func(x, y int) (r, g, b, a uint32) {
			c := m.RGBA64At(x, y)
			return uint32(c.R), uint32(c.G), uint32(c.B), uint32(c.A)
		}
	}
	for dy := range dh {
		clear(sums)
		clear(counts)
		for y := dy * sh / dh; y < max((dy+1)*sh/dh, dy*sh/dh+1); y++ {
			for x := range sw {
				r, g, bl, a := at(b.Min.X+x, b.Min.Y+y)
				dx := x * dw / sw
				sums[dx][0] += uint64(r)
				sums[dx][1] += uint64(g)
				sums[dx][2] += uint64(bl)
				sums[dx][3] += uint64(a)
				counts[dx]++
			}
		}
		for dx := range dw {
			n := max(counts[dx], 1)
			r, g, bl, a := sums[dx][0]/n, sums[dx][1]/n, sums[dx][2]/n, sums[dx][3]/n
			o := dst.PixOffset(dx, dy)
			if a > 0 {
				// Premultiplied sums: un-premultiply into NRGBA.
				r, g, bl = r*0xffff/a, g*0xffff/a, bl*0xffff/a
			}
			dst.Pix[o], dst.Pix[o+1], dst.Pix[o+2], dst.Pix[o+3] = uint8(r>>8), uint8(g>>8), uint8(bl>>8), uint8(a>>8)
		}
	}
	return dst
}
