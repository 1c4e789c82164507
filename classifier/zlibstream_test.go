package classifier

import (
	"bytes"
	"compress/zlib"
	"hash/adler32"
	"io"
	"math/rand/v2"
	"testing"
)

// TestAdler32Update_SameAsHashAdler32 checks the zero-skipping checksum
// against hash/adler32 on data with runs of zeros of every length, in
// pieces of every size, around the 5552-byte modulo boundary.
func TestAdler32Update_SameAsHashAdler32(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for it := range 300 {
		n := rng.IntN(40000)
		p := make([]byte, n)
		for i := 0; i < n; {
			run := 1 + rng.IntN(3000)
			if rng.IntN(2) == 0 {
				for j := i; j < min(i+run, n); j++ {
					p[j] = byte(rng.IntN(256))
					if it%3 == 0 {
						p[j] = 255 // the largest sums
					}
				}
			}
			i += run
		}
		want := adler32.Checksum(p)
		got := uint32(1)
		for rest := p; len(rest) > 0; {
			k := min(len(rest), 1+rng.IntN(7000))
			got = adler32Update(got, rest[:k])
			rest = rest[k:]
		}
		if got != want {
			t.Fatalf("%d bytes: %08x, hash/adler32 %08x", n, got, want)
		}
	}
}

// TestZlibReader_SameAsCompressZlib checks that the reader inflates what
// compress/zlib does and refuses what it refuses: a bad checksum, a bad
// header, a preset dictionary, a truncated stream, data after the end.
func TestZlibReader_SameAsCompressZlib(t *testing.T) {
	data := make([]byte, 100000)
	for i := range data {
		if i%7000 < 300 {
			data[i] = byte(i * 31)
		}
	}
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	good := b.Bytes()
	sc := &scratch{} // one deflate reader reset for every stream
	read := func(z []byte, n int) error {
		zr, err := newZlibReader(z, sc)
		if err != nil {
			return err
		}
		got := make([]byte, n)
		if _, err := io.ReadFull(zr, got); err != nil {
			return err
		}
		if !bytes.Equal(got, data[:n]) {
			t.Fatal("inflated data differs")
		}
		return zr.end()
	}
	if err := read(good, len(data)); err != nil {
		t.Fatalf("a good stream: %v", err)
	}
	if read(good, len(data)-1) == nil {
		t.Error("a stream longer than read was accepted")
	}
	bad := bytes.Clone(good)
	bad[len(bad)-1] ^= 1
	if read(bad, len(data)) == nil {
		t.Error("a bad checksum was accepted")
	}
	if read(good[:len(good)-2], len(data)) == nil {
		t.Error("a truncated checksum was accepted")
	}
	hdr := bytes.Clone(good)
	hdr[1] ^= 1
	if read(hdr, len(data)) == nil {
		t.Error("a bad header checksum was accepted")
	}
	var d bytes.Buffer
	dw, _ := zlib.NewWriterLevelDict(&d, zlib.DefaultCompression, []byte("dictionary"))
	dw.Write(data)
	dw.Close()
	if read(d.Bytes(), len(data)) == nil {
		t.Error("a preset dictionary was accepted")
	}
}
