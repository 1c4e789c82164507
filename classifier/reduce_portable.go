//go:build !(goexperiment.simd && amd64)

package classifier

func reduce2(r0, r1 []uint8, dark, light []uint8) { reduce2Portable(r0, r1, dark, light) }
