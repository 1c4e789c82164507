package classifier_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/classifier"
	"github.com/digitbot/digitbot/models"
)

func ExampleClassifier_Classify() {
	card, err := models.Card()
	if err != nil {
		log.Fatal(err)
	}
	// New checks the model's sha256 against the card and self-tests it.
	c, err := classifier.New(classifier.Options{ONNX: models.ONNX(), Card: card})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	for _, name := range []string{"testdata/seven-lossy.webp", "testdata/make_webp.py"} {
		data, err := os.ReadFile(name)
		if err != nil {
			log.Fatal(err)
		}
		p, err := c.Classify(context.Background(), data)
		if err != nil {
			// Image errors carry a code to branch on and a sentence to show.
			fmt.Printf("%s: %s (%s)\n", name, digitbot.ErrorMessage(err), digitbot.ErrorCode(err))
			continue
		}
		fmt.Printf("%s: %d, confident: %v\n", name, p.Digit, p.Confidence >= digitbot.DefaultThreshold)
	}
	// Output:
	// testdata/seven-lossy.webp: 7, confident: true
	// testdata/make_webp.py: This file is not an image format I can read; please send a PNG, JPEG, GIF, BMP or WebP. (unsupported_format)
}
