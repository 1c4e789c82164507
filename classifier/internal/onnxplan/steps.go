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
	for n := range s.n {
		for oy := range s.ho {
			for ox := range s.wo {
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
						if s.sc == 1 {
							copy(dst, s.x[base:base+c])
							continue
						}
						for ci := range dst {
							dst[ci] = s.x[base+ci*s.sc]
						}
					}
				}
			}
		}
	}
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

// gemmPortable is gemm in plain Go: four rows at a time, each weight row
// read once per four output rows and the loop over output channels
// contiguous, for any K and M.
func gemmPortable(rows, k, m int, a, b, bias, out []float32) {
	r := 0
	for ; r+4 <= rows; r += 4 {
		o0 := out[r*m : r*m+m]
		o1 := out[(r+1)*m : (r+1)*m+m]
		o2 := out[(r+2)*m : (r+2)*m+m]
		o3 := out[(r+3)*m : (r+3)*m+m]
		initRow(o0, bias)
		initRow(o1, bias)
		initRow(o2, bias)
		initRow(o3, bias)
		a0 := a[r*k : r*k+k]
		a1 := a[(r+1)*k : (r+1)*k+k]
		a2 := a[(r+2)*k : (r+2)*k+k]
		a3 := a[(r+3)*k : (r+3)*k+k]
		for kk := range a0 {
			x0, x1, x2, x3 := a0[kk], a1[kk], a2[kk], a3[kk]
			if x0 == 0 && x1 == 0 && x2 == 0 && x3 == 0 {
				continue // padding, background and ReLU zeros are common
			}
			bk := b[kk*m : kk*m+m]
			o0, o1, o2, o3 := o0[:len(bk)], o1[:len(bk)], o2[:len(bk)], o3[:len(bk)]
			for j, w := range bk {
				o0[j] += x0 * w
				o1[j] += x1 * w
				o2[j] += x2 * w
				o3[j] += x3 * w
			}
		}
	}
	for ; r < rows; r++ {
		o := out[r*m : r*m+m]
		initRow(o, bias)
		ar := a[r*k : r*k+k]
		for kk, x := range ar {
			if x == 0 {
				continue
			}
			bk := b[kk*m : kk*m+m]
			o := o[:len(bk)]
			for j, w := range bk {
				o[j] += x * w
			}
		}
	}
}

func initRow(o, bias []float32) {
	if bias == nil {
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
						if s.sc == 1 {
							src := s.x[base : base+c]
							for i, v := range src {
								if v > dst[i] || v != v {
									dst[i] = v
								}
							}
							continue
						}
						for i := range dst {
							if v := s.x[base+i*s.sc]; v > dst[i] || v != v {
								dst[i] = v
							}
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

// binaryStep is out = a + b with broadcasting.
type binaryStep struct {
	it        strided
	out, a, b []float32
	shape     []int
}

func newBinary(shape []int, out, a, b *value) *binaryStep {
	return &binaryStep{
		it:    newStrided(shape, out.strides, stridesIn(a, shape), stridesIn(b, shape)),
		out:   out.data,
		a:     a.data,
		b:     b.data,
		shape: shape,
	}
}

func (s *binaryStep) describe() string { return fmt.Sprintf("add %v", s.shape) }

func (s *binaryStep) run() {
	it := &s.it
	if it.dims == 0 {
		s.out[0] = s.a[0] + s.b[0]
		return
	}
	var pos [maxRank]int
	var po, pa, pb int
	last := it.dims - 1
	n, so, sa, sb := it.size[last], it.so[last], it.sa[last], it.sb[last]
	for {
		switch {
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
