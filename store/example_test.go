package store_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/store"
)

// openExample opens a database in a temporary directory with a fixed clock.
func openExample() (*store.DB, func()) {
	dir, err := os.MkdirTemp("", "digitbot-example")
	if err != nil {
		log.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 26, 14, 30, 0, 0, time.UTC) }
	db, err := store.Open(filepath.Join(dir, "digitbot.db"), store.Options{Now: now})
	if err != nil {
		log.Fatal(err)
	}
	return db, func() { db.Close(); os.RemoveAll(dir) }
}

// The bot saves a prediction when it answers, puts its ID in the buttons'
// custom_ids, and records the owner's press. Other users are refused and a
// second press returns the first verdict.
func ExampleDB_Evaluate() {
	db, cleanup := openExample()
	defer cleanup()
	ctx := context.Background()

	p := digitbot.Prediction{GuildID: "111", ChannelID: "222", UserID: "333", FileName: "seven.png", Digit: 1, Confidence: 0.62}
	if err := db.SavePrediction(ctx, &p); err != nil {
		log.Fatal(err)
	}
	fmt.Println("custom_id length:", len("eval:"+p.ID+":7"))

	_, err := db.Evaluate(ctx, p.ID, "444", 7)
	fmt.Println("someone else:", digitbot.ErrorCode(err))

	e, err := db.Evaluate(ctx, p.ID, "333", 7)
	fmt.Println("owner:", err, e.Predicted, "->", e.TrueDigit, e.Correct())

	e, err = db.Evaluate(ctx, p.ID, "333", 1)
	fmt.Println("again:", digitbot.ErrorCode(err), "kept", e.TrueDigit)
	// Output:
	// custom_id length: 23
	// someone else: forbidden
	// owner: <nil> 1 -> 7 false
	// again: already_evaluated kept 7
}

// Stats come from aggregates kept per scope: a user in a server, a user
// everywhere, a server, or everything.
func ExampleDB_Stats() {
	db, cleanup := openExample()
	defer cleanup()
	ctx := context.Background()

	for i, truth := range []int{3, 3, 5} {
		p := digitbot.Prediction{GuildID: "111", UserID: "333", Digit: 3, Confidence: 0.5 + 0.1*float64(i)}
		if err := db.SavePrediction(ctx, &p); err != nil {
			log.Fatal(err)
		}
		if _, err := db.Evaluate(ctx, p.ID, "333", truth); err != nil {
			log.Fatal(err)
		}
	}
	s, err := db.Stats(ctx, digitbot.Scope{GuildID: "111"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d evaluated, accuracy %.2f, mean confidence %.2f\n", s.Total, s.Accuracy(), s.MeanConfidence())
	fmt.Println("5 mistaken for 3:", s.Confusion[5][3], "days:", len(s.Daily))
	// Output:
	// 3 evaluated, accuracy 0.67, mean confidence 0.60
	// 5 mistaken for 3: 1 days: 1
}

// A second opener of the same file fails after Options.Timeout instead of
// hanging, with an error that says why.
func ExampleOpen_inUse() {
	db, cleanup := openExample()
	defer cleanup()
	_, err := store.Open(db.Path(), store.Options{Timeout: 100 * time.Millisecond})
	fmt.Println(digitbot.ErrorCode(err))
	// Output:
	// unavailable
}
