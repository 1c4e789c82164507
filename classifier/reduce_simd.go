//go:build goexperiment.simd && amd64

package classifier

import "simd/archsimd"

func reduce2(r0, r1 []uint8, dark, light []uint8) {
	if !archsimd.X86.AVX2() {
		reduce2Portable(r0, r1, dark, light)
		return
	}
	// 32 pixels of each row make 16 blocks: the extremes of the two rows,
	// pixel by pixel, then of each pair of neighbours (the two bytes of a
	// 16-bit lane), packed back to bytes.
	// Within each 16-byte half, its even bytes into the low 8 bytes (a
	// negative index zeroes the byte).
	pick := [32]int8{0, 2, 4, 6, 8, 10, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1,
		0, 2, 4, 6, 8, 10, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1}
	evenBytes := archsimd.LoadInt8x32(&pick)
	lowByte := archsimd.BroadcastUint16x16(0xff)
	x, o := 0, 0
	for ; x+32 <= len(r0) && x+32 <= len(r1); x, o = x+32, o+16 {
		a := archsimd.LoadUint8x32Slice(r0[x : x+32])
		b := archsimd.LoadUint8x32Slice(r1[x : x+32])
		lo, hi := a.Min(b).AsUint16x16(), a.Max(b).AsUint16x16()
		lo = lo.And(lowByte).Min(lo.ShiftAllRight(8))
		hi = hi.And(lowByte).Max(hi.ShiftAllRight(8))
		storeEvenBytes(lo.AsUint8x32(), evenBytes, dark[o:o+16])
		storeEvenBytes(hi.AsUint8x32(), evenBytes, light[o:o+16])
	}
	reduce2Portable(r0[x:], r1[x:min(len(r1), len(r0))], dark[o:], light[o:])
}

// storeEvenBytes stores the 16 even bytes of v into dst.
func storeEvenBytes(v archsimd.Uint8x32, pick archsimd.Int8x32, dst []uint8) {
	p := v.PermuteOrZeroGrouped(pick)
	p.GetLo().AsUint64x2().InterleaveLo(p.GetHi().AsUint64x2()).AsUint8x16().StoreSlice(dst)
}
