package onnxplan

import (
	"fmt"
	"math"
	"slices"
)

// im2col copies every receptive field of a convolution into one row of
// out (rows = output pixels, row = (ky, kx, c)), zeros for the padding, so
// that the convolution becomes one matrix product.
type im2col struct {
	x                            []float32
	n, c, h, w, kh, kw, ho, wo   int
	sn, sc, sh, sw               int
	strideY, strideX, dilY, dilX int
	padT, padL                   int
	out                          []float32
}

func (s *im2col) describe() string {
	return fmt.Sprintf("im2col %dx%d over %dx%dx%d → %d rows of %d", s.kh, s.kw, s.c, s.h, s.w, s.n*s.ho*s.wo, s.c*s.kh*s.kw)
}

func (s *im2col) run() {
	o := 0
	c := s.c
	// Channels-last input without dilation along x: the kw·c values of
	// one kernel row are contiguous in x too, and are copied at once.
	contiguous := s.dilX == 1 && s.sw == c && (s.sc == 1 || c == 1)
	for n := range s.n {
		for oy := range s.ho {
			for ox := range s.wo {
				if contiguous {
					o = s.rowsContiguous(n, oy, ox, o)
					continue
				}
				for ky := range s.kh {
					iy := oy*s.strideY - s.padT + ky*s.dilY
					for kx := range s.kw {
						ix := ox*s.strideX - s.padL + kx*s.dilX
						dst := s.out[o : o+c]
						o += c
						if iy < 0 || iy >= s.h || ix < 0 || ix >= s.w {
							clear(dst)
							continue
						}
						base := n*s.sn + iy*s.sh + ix*s.sw
						switch {
						case c == 1:
							dst[0] = s.x[base]
						case s.sc == 1:
							copy(dst, s.x[base:base+c])
						default:
							for ci := range dst {
								dst[ci] = s.x[base+ci*s.sc]
							}
						}
					}
				}
			}
		}
	}
}

// rowsContiguous writes the kernel rows of output pixel (oy, ox) of image
// n from o on, each as one copy of its pixels inside the input and zeros
// for those outside, and returns where it stopped.
func (s *im2col) rowsContiguous(n, oy, ox, o int) int {
	c, row := s.c, s.kw*s.c
	ix0 := ox*s.strideX - s.padL
	lo, hi := max(0, -ix0), min(s.kw, s.w-ix0) // the kernel columns inside
	for ky := range s.kh {
		iy := oy*s.strideY - s.padT + ky*s.dilY
		dst := s.out[o : o+row]
		o += row
		if iy < 0 || iy >= s.h || lo >= hi {
			clear(dst)
			continue
		}
		clear(dst[:lo*c])
		clear(dst[hi*c:])
		base := n*s.sn + iy*s.sh + (ix0+lo)*s.sw
		d, src := dst[lo*c:hi*c], s.x[base:base+(hi-lo)*c]
		if len(d) <= 8 {
			for i := range d {
				d[i] = src[i]
			}
			continue
		}
		copy(d, src)
	}
	return o
}

// gemmStep computes out[r][j] = bias[j] + Σk a[r][k]·b[k][j] for r < rows,
// j < m: every row of a (an output pixel's receptive field, or a row of a
// matrix) times the packed weights b (K×M, row-major).
type gemmStep struct {
	rows, k, m int
	a, b, bias []float32
	out        []float32
	what       string
}

func (s *gemmStep) describe() string {
	return fmt.Sprintf("%s: %d×%d·%d×%d (%s)", s.what, s.rows, s.k, s.k, s.m, Kernels)
}

func (s *gemmStep) run() { gemm(s.rows, s.k, s.m, s.a, s.b, s.bias, s.out) }

// gemmPortable is gemm in plain Go: tiles of two rows × four output
// channels accumulate in eight registers over the whole K loop, each
// weight loaded once per two rows; the last row and the channels past a
// multiple of four go through gemmColumns.
func gemmPortable(rows, k, m int, a, b, bias, out []float32) {
	m4 := m &^ 3
	r := 0
	for ; r+2 <= rows; r += 2 {
		a0 := a[r*k : r*k+k]
		a1 := a[(r+1)*k : (r+1)*k+k]
		a1 = a1[:len(a0)]
		for j := 0; j < m4; j += 4 {
			var c00, c01, c02, c03 float32
			if bias != nil {
				c00, c01, c02, c03 = bias[j], bias[j+1], bias[j+2], bias[j+3]
			}
			c10, c11, c12, c13 := c00, c01, c02, c03
			p := j
			for kk, x0 := range a0 {
				x1 := a1[kk]
				if x0 == 0 && x1 == 0 {
					// ReLU zeros and padding: common, and free to skip.
					p += m
					continue
				}
				w := b[p : p+4 : p+4]
				p += m
				w0, w1, w2, w3 := w[0], w[1], w[2], w[3]
				c00 += x0 * w0
				c01 += x0 * w1
				c02 += x0 * w2
				c03 += x0 * w3
				c10 += x1 * w0
				c11 += x1 * w1
				c12 += x1 * w2
				c13 += x1 * w3
			}
			o := out[r*m+j : r*m+j+4 : r*m+j+4]
			o[0], o[1], o[2], o[3] = c00, c01, c02, c03
			o = out[(r+1)*m+j : (r+1)*m+j+4 : (r+1)*m+j+4]
			o[0], o[1], o[2], o[3] = c10, c11, c12, c13
		}
		if m4 < m {
			gemmColumns(2, k, m, m4, a[r*k:], b, bias, out[r*m:])
		}
	}
	if r < rows {
		gemmColumns(1, k, m, 0, a[r*k:], b, bias, out[r*m:])
	}
}

// gemmColumns computes output channels from..m-1 of rows rows in plain Go,
// one weight row at a time.
func gemmColumns(rows, k, m, from int, a, b, bias, out []float32) {
	for r := range rows {
		ar := a[r*k : r*k+k]
		o := out[r*m+from : r*m+m]
		initRow(o, bias[min(from, len(bias)):])
		for kk, x := range ar {
			if x == 0 {
				continue // padding and ReLU zeros are common
			}
			bk := b[kk*m+from : kk*m+m]
			o := o[:len(bk)]
			for j, w := range bk {
				o[j] += x * w
			}
		}
	}
}

func initRow(o, bias []float32) {
	if len(bias) == 0 {
		clear(o)
	} else {
		copy(o, bias)
	}
}

// maxPoolStep takes the maximum over each window, channels-last out.
type maxPoolStep struct {
	x                            []float32
	n, c, h, w, kh, kw, ho, wo   int
	sn, sc, sh, sw               int
	strideY, strideX, dilY, dilX int
	padT, padL                   int
	out                          []float32
}

func (s *maxPoolStep) describe() string {
	return fmt.Sprintf("maxpool %dx%d stride %dx%d over %dx%dx%d → %dx%d", s.kh, s.kw, s.strideY, s.strideX, s.c, s.h, s.w, s.ho, s.wo)
}

func (s *maxPoolStep) run() {
	o := 0
	c := s.c
	negInf := float32(math.Inf(-1))
	for n := range s.n {
		for oy := range s.ho {
			for ox := range s.wo {
				dst := s.out[o : o+c]
				o += c
				for i := range dst {
					dst[i] = negInf
				}
				for ky := range s.kh {
					iy := oy*s.strideY - s.padT + ky*s.dilY
					if iy < 0 || iy >= s.h {
						continue
					}
					for kx := range s.kw {
						ix := ox*s.strideX - s.padL + kx*s.dilX
						if ix < 0 || ix >= s.w {
							continue
						}
						base := n*s.sn + iy*s.sh + ix*s.sw
						// max keeps a NaN, as PyTorch's pooling does.
						if s.sc == 1 {
							src := s.x[base : base+c]
							maxInto(dst[:len(src)], src)
							continue
						}
						for i := range dst {
							dst[i] = max(dst[i], s.x[base+i*s.sc])
						}
					}
				}
			}
		}
	}
}

// maxRank is the largest rank the broadcasting kernels iterate.
const maxRank = 6

// strided walks a shape in the order of one value's memory, with the
// strides of up to three values (out, a, b) per dimension; the innermost
// dimension is last.
type strided struct {
	dims       int
	size       [maxRank]int
	so, sa, sb [maxRank]int
}

// newStrided orders the dimensions by decreasing stride in out, dropping
// dimensions of size 1.
func newStrided(shape []int, out, a, b []int) strided {
	idx := make([]int, 0, len(shape))
	for i, d := range shape {
		if d != 1 {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(x, y int) int { return out[y] - out[x] })
	var s strided
	s.dims = len(idx)
	for j, i := range idx {
		s.size[j] = shape[i]
		s.so[j] = out[i]
		if a != nil {
			s.sa[j] = a[i]
		}
		if b != nil {
			s.sb[j] = b[i]
		}
	}
	return s
}

// binaryStep is out = a + b, or a · b when mul, with broadcasting.
type binaryStep struct {
	it        strided
	out, a, b []float32
	shape     []int
	mul       bool
}

func newBinary(shape []int, out, a, b *value, mul bool) *binaryStep {
	return &binaryStep{
		mul:   mul,
		it:    newStrided(shape, out.strides, stridesIn(a, shape), stridesIn(b, shape)),
		out:   out.data,
		a:     a.data,
		b:     b.data,
		shape: shape,
	}
}

func (s *binaryStep) describe() string {
	if s.mul {
		return fmt.Sprintf("mul %v", s.shape)
	}
	return fmt.Sprintf("add %v", s.shape)
}

func (s *binaryStep) run() {
	it := &s.it
	if it.dims == 0 {
		s.out[0] = s.a[0] + s.b[0]
		if s.mul {
			s.out[0] = s.a[0] * s.b[0]
		}
		return
	}
	var pos [maxRank]int
	var po, pa, pb int
	last := it.dims - 1
	n, so, sa, sb := it.size[last], it.so[last], it.sa[last], it.sb[last]
	for {
		switch {
		case s.mul:
			for i := range n {
				s.out[po+i*so] = s.a[pa+i*sa] * s.b[pb+i*sb]
			}
		case so == 1 && sa == 1 && sb == 1:
			o, a, b := s.out[po:po+n], s.a[pa:pa+n], s.b[pb:pb+n]
			for i := range o {
				o[i] = a[i] + b[i]
			}
		case so == 1 && sa == 1 && sb == 0:
			o, a, y := s.out[po:po+n], s.a[pa:pa+n], s.b[pb]
			for i := range o {
				o[i] = a[i] + y
			}
		case so == 1 && sa == 0 && sb == 1:
			o, x, b := s.out[po:po+n], s.a[pa], s.b[pb:pb+n]
			for i := range o {
				o[i] = x + b[i]
			}
		default:
			for i := range n {
				s.out[po+i*so] = s.a[pa+i*sa] + s.b[pb+i*sb]
			}
		}
		// Advance the outer dimensions like an odometer.
		d := last - 1
		for ; d >= 0; d-- {
			pos[d]++
			po += it.so[d]
			pa += it.sa[d]
			pb += it.sb[d]
			if pos[d] < it.size[d] {
				break
			}
			po -= it.so[d] * it.size[d]
			pa -= it.sa[d] * it.size[d]
			pb -= it.sb[d] * it.size[d]
			pos[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

// copyStep rewrites a value in another layout (for Flatten, Reshape and
// MatMul, which read row-major).
type copyStep struct {
	it     strided
	out, x []float32
	shape  []int
}

func newCopy(out, x *value) *copyStep {
	return &copyStep{it: newStrided(x.shape, out.strides, x.strides, nil), out: out.data, x: x.data, shape: x.shape}
}

func (s *copyStep) describe() string { return fmt.Sprintf("to row-major %v", s.shape) }

func (s *copyStep) run() {
	it := &s.it
	if it.dims == 0 {
		s.out[0] = s.x[0]
		return
	}
	var pos [maxRank]int
	var po, px int
	last := it.dims - 1
	n, so, sx := it.size[last], it.so[last], it.sa[last]
	for {
		for i := range n {
			s.out[po+i*so] = s.x[px+i*sx]
		}
		d := last - 1
		for ; d >= 0; d-- {
			pos[d]++
			po += it.so[d]
			px += it.sa[d]
			if pos[d] < it.size[d] {
				break
			}
			po -= it.so[d] * it.size[d]
			px -= it.sa[d] * it.size[d]
			pos[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

// reluStep is out = max(x, 0), element by element (same layout).
type reluStep struct {
	x, out []float32
}

func (s *reluStep) describe() string { return fmt.Sprintf("relu %d", len(s.x)) }

func (s *reluStep) run() {
	out := s.out[:len(s.x)]
	for i, v := range s.x {
		if v < 0 {
			v = 0
		}
		out[i] = v
	}
}

// maxIntoPortable sets each dst[i] to max(dst[i], src[i]); max keeps a
// NaN, as PyTorch's pooling does. maxInto (kernel_simd.go,
// kernel_portable.go) runs it or a vector version.
func maxIntoPortable(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = max(dst[i], v)
	}
}
