// Command learndemo fills a database with a community's confirmed
// evaluations, as the bot would write them, to show the learning loop
// (docs/learning.md):
//
//	go run ./internal/learndemo --images DIR --db FILE [--guild ID] [--members N]
//
// Each picture DIR/NNNNN-D.png (D: the digit it shows, as
// models/train/styles.py names them) is read through the bot's classifier
// (decoding, preprocessing, segmentation, the running model), saved as the
// prediction of one of N members of the server, and evaluated by that
// member with the true digit: a press of the digit button for a one-digit
// reading, the "Correct it" dialog for a reading of several digits.
// Pictures the bot refuses as not a digit get no prediction, as in the
// bot.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/digitbot/digitbot"
	"github.com/digitbot/digitbot/classifier"
	"github.com/digitbot/digitbot/models"
	"github.com/digitbot/digitbot/store"
)

func main() {
	images := flag.String("images", "", "folder of NNNNN-D.png pictures")
	dbPath := flag.String("db", "", "database file to write (created if missing)")
	guild := flag.String("guild", "700000000000000001", "the server's id")
	members := flag.Int("members", 12, "how many members post the pictures (in turn)")
	model := flag.String("model", "", "read with this model `file` (.onnx, card beside it) instead of the embedded one")
	flag.Parse()
	if *images == "" || *members < 1 {
		fmt.Fprintln(os.Stderr, "usage: learndemo --images DIR [--db FILE] [--guild ID] [--members N] [--model FILE]\n(without --db it only counts what the model reads)")
		os.Exit(2)
	}
	if err := run(context.Background(), *images, *dbPath, *guild, *members, *model); err != nil {
		fmt.Fprintln(os.Stderr, "learndemo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir, dbPath, guild string, members int, modelPath string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*-?.png"))
	if err != nil {
		return err
	}
	sort.Strings(files)
	if len(files) == 0 {
		return fmt.Errorf("no NNNNN-D.png pictures in %s", dir)
	}
	onnx, card := models.ONNX(), digitbot.ModelCard{}
	if modelPath != "" {
		onnx, card, err = models.LoadFile(modelPath)
	} else {
		card, err = models.Card()
	}
	if err != nil {
		return err
	}
	cls, err := classifier.New(classifier.Options{ONNX: onnx, Card: card})
	if err != nil {
		return err
	}
	defer cls.Close()
	var db *store.DB
	if dbPath != "" {
		if db, err = store.Open(dbPath, store.Options{}); err != nil {
			return err
		}
		defer db.Close()
	}
	var right, wrong, refused, numbers int
	for i, f := range files {
		name := filepath.Base(f)
		truth, err := strconv.Atoi(strings.TrimSuffix(name[strings.LastIndexByte(name, '-')+1:], ".png"))
		if err != nil {
			return fmt.Errorf("%s: the digit after the dash: %w", name, err)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		p, err := cls.Classify(ctx, data)
		if digitbot.ErrorCode(err) == digitbot.ENODIGIT {
			refused++
			continue
		} else if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if db == nil {
			if !p.IsNumber() && p.Digit == truth {
				right++
			} else if p.IsNumber() {
				numbers++
			} else {
				wrong++
			}
			continue
		}
		user := strconv.Itoa(800000000000000000 + i%members)
		p.GuildID, p.ChannelID, p.UserID, p.FileName = guild, "900000000000000001", user, name
		p.MessageID = strconv.FormatInt(time.Now().UnixNano(), 10)
		if err := db.SavePrediction(ctx, &p); err != nil {
			return err
		}
		if p.IsNumber() {
			numbers++
			_, err = db.EvaluateNumber(ctx, p.ID, user, strconv.Itoa(truth))
		} else {
			if p.Digit == truth {
				right++
			} else {
				wrong++
			}
			_, err = db.Evaluate(ctx, p.ID, user, truth)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	fmt.Printf("%d pictures: %d read right, %d read wrong (and corrected), %d read as several digits (corrected to one: a segmentation error, no sample), %d refused as not a digit (not stored)\n",
		len(files), right, wrong, numbers, refused)
	fmt.Printf("the model read %.1f%% of the pictures right (%d of %d)\n", 100*float64(right)/float64(len(files)), right, len(files))
	return nil
}
