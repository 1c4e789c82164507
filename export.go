package digitbot

import (
	"encoding/csv"
	"strconv"
	"strings"
	"time"
)

// CSVHeader is the first row of an evaluation export (Store.ExportCSV),
// the same for every store. The number columns come last so that readers
// of the one-digit export keep working: predicted and true are -1 on a
// number's row.
func CSVHeader() []string {
	return []string{"prediction_id", "guild_id", "channel_id", "user_id", "file", "predicted", "confidence", "true", "correct", "predicted_at", "evaluated_at",
		"predicted_number", "true_number", "segmentation_error"}
}

// CSVRecord is e as a row under CSVHeader. Text a member chose (ids are
// digits, but a file name is theirs) is defused against formula injection.
func (e Evaluation) CSVRecord() []string {
	var predictedNumber, trueNumber string
	if n := e.Number; n != nil {
		predictedNumber, trueNumber = n.Predicted, n.True
	}
	return []string{
		safeCell(e.PredictionID), safeCell(e.GuildID), safeCell(e.ChannelID), safeCell(e.UserID), safeCell(e.FileName),
		strconv.Itoa(e.Predicted), strconv.FormatFloat(e.Confidence, 'f', -1, 64), strconv.Itoa(e.TrueDigit),
		strconv.FormatBool(e.Correct()),
		e.PredictedAt.UTC().Format(time.RFC3339), e.EvaluatedAt.UTC().Format(time.RFC3339),
		predictedNumber, trueNumber, strconv.FormatBool(e.SegmentationError()),
	}
}

// WriteCSV writes evaluations as rows under CSVHeader and flushes them,
// one chunk of a store's streamed export.
func WriteCSV(cw *csv.Writer, evaluations []Evaluation) error {
	for _, e := range evaluations {
		if err := cw.Write(e.CSVRecord()); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// safeCell defuses CSV formula injection: spreadsheets run cells that start
// with = + - @ (or a tab or carriage return) as formulas, so those get a
// leading apostrophe.
func safeCell(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}
