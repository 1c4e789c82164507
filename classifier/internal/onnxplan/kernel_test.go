package onnxplan

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemmKernels checks every kernel this build and CPU can run (with
// GOEXPERIMENT=simd: AVX-512, AVX2 and portable) and the one gemm picks
// against a
// direct triple loop, on shapes that leave every tail: rows not a multiple
// of 2 or 4, channels not a multiple of 4 or 16, K of 1, with and without
// bias, and inputs with runs of zeros (which the portable kernel skips).
func TestGemmKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	t.Logf("kernels: %s; testing %d", Kernels, len(kernels()))
	for _, rows := range []int{1, 2, 3, 5, 9, 18} {
		for _, k := range []int{1, 7, 75} {
			for _, m := range []int{1, 3, 11, 16, 20, 48, 131} {
				for _, withBias := range []bool{false, true} {
					a := make([]float32, rows*k)
					for i := range a {
						if rng.IntN(3) > 0 {
							a[i] = float32(rng.NormFloat64())
						}
					}
					b := make([]float32, k*m)
					for i := range b {
						b[i] = float32(rng.NormFloat64())
					}
					var bias []float32
					if withBias {
						bias = make([]float32, m)
						for i := range bias {
							bias[i] = float32(rng.NormFloat64())
						}
					}
					want := make([]float64, rows*m)
					for r := range rows {
						for j := range m {
							var s float64
							if bias != nil {
								s = float64(bias[j])
							}
							for p := range k {
								s += float64(a[r*k+p]) * float64(b[p*m+j])
							}
							want[r*m+j] = s
						}
					}
					all := kernels()
					all["compiled-in"] = gemm
					for name, f := range all {
						out := make([]float32, rows*m)
						for i := range out {
							out[i] = float32(math.NaN()) // every output must be written
						}
						f(rows, k, m, a, b, bias, out)
						for i := range out {
							if d := math.Abs(float64(out[i]) - want[i]); !(d <= 1e-4*math.Sqrt(float64(k))) {
								t.Fatalf("%s rows=%d k=%d m=%d bias=%v: out[%d] = %v, want %v", name, rows, k, m, withBias, i, out[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestMaxInto checks the pooling kernel this build runs against Go's max,
// NaN and infinities included, at lengths that leave every tail.
func TestMaxInto(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1))}
	for n := range 70 {
		for range 50 {
			dst, src := make([]float32, n), make([]float32, n)
			for i := range n {
				dst[i], src[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
				if rng.IntN(8) == 0 {
					dst[i] = special[rng.IntN(len(special))]
				}
				if rng.IntN(8) == 0 {
					src[i] = special[rng.IntN(len(special))]
				}
			}
			want := make([]float32, n)
			for i := range want {
				want[i] = max(dst[i], src[i])
			}
			maxInto(dst, src)
			for i := range want {
				if got := dst[i]; got != want[i] && !(got != got && want[i] != want[i]) {
					t.Fatalf("n %d, [%d]: %v, want %v", n, i, got, want[i])
				}
			}
		}
	}
}
