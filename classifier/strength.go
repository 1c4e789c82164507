package classifier

// strengthsOverSurfacePortable writes the ink strength of each oriented
// level relative to the background surface under it (findInk):
// s[i] = max((float32(oriented[i])-bg[i])*255/max(255-bg[i], 64), 0),
// and its histogram bin, bins[i] = clamp255(s[i]), for histogram8.
// strengthsOverSurface (strength_simd.go, strength_portable.go) runs it,
// or the same float32 operations 16 pixels at a time where the CPU has
// AVX-512: the division is most of its time.
func strengthsOverSurfacePortable(s []float32, bins, oriented []uint8, bg []float32) {
	bg = bg[:len(oriented)]
	s = s[:len(oriented)]
	bins = bins[:len(oriented)]
	for i, v := range oriented {
		b := bg[i]
		s[i] = max((float32(v)-b)*255/max(255-b, 64), 0)
		bins[i] = strengthBin(s[i])
	}
}

// intensitiesPortable maps strengths to output intensities as render's
// intensity does: val[i] = min(max((s[i]-floor)*255/(core-floor), 0), 255)
// (val may be s). intensities (strength_simd.go, strength_portable.go)
// runs it, or 16 at a time where the CPU has AVX-512.
func intensitiesPortable(val, s []float32, floor, core float32) {
	val = val[:len(s)]
	for i, v := range s {
		val[i] = min(max((v-floor)*255/(core-floor), 0), 255)
	}
}
