package store

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
)

func TestStore_ExportCSV_OldestFirstAndFormulaSafe(t *testing.T) {
	clock := newFakeClock()
	db := MustOpenDBWith(t, Options{Now: clock.Now})
	names := []string{"=HYPERLINK(\"http://evil\")", "+1.png", "-2.png", "@SUM(A1).png", "plain, \"quoted\"\nname.png"}
	var ids []string
	for i, name := range names {
		p := pred("111", "222", i, 0.25)
		p.FileName = name
		p = mustSave(t, db, p)
		clock.Add(time.Hour)
		if _, err := db.Evaluate(bg, p.ID, "222", i); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	other := mustSave(t, db, pred("999", "333", 1, 0.5))
	if _, err := db.Evaluate(bg, other.ID, "333", 2); err != nil {
		t.Fatal(err)
	}

	var buf bytes.Buffer
	if err := db.ExportCSV(bg, digitbot.Scope{UserID: "222"}, &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("export is not valid CSV: %v", err)
	}
	if strings.Join(rows[0], ",") != "prediction_id,guild_id,channel_id,user_id,file,predicted,confidence,true,correct,predicted_at,evaluated_at,predicted_number,true_number,segmentation_error" {
		t.Fatalf("header = %v", rows[0])
	}
	if len(rows) != 1+len(names) {
		t.Fatalf("%d rows, want %d (only the user's)", len(rows)-1, len(names))
	}
	for i, row := range rows[1:] {
		if row[0] != ids[i] {
			t.Fatalf("row %d is %s, want %s (oldest first)", i, row[0], ids[i])
		}
		want := names[i]
		if strings.ContainsAny(want[:1], "=+-@") {
			want = "'" + want
		}
		if row[4] != want {
			t.Fatalf("file cell %q, want %q", row[4], want)
		}
		if row[8] != "true" || row[6] != "0.25" || row[1] != "111" || row[3] != "222" {
			t.Fatalf("row %d = %v", i, row)
		}
		if _, err := time.Parse(time.RFC3339, row[10]); err != nil || !strings.HasSuffix(row[10], "Z") {
			t.Fatalf("evaluated_at %q is not RFC3339 UTC", row[10])
		}
	}
}

func TestStore_ExportCSV_ManyChunks(t *testing.T) {
	db := MustOpenDB(t)
	items := make([]historyItem, exportChunk*2+17)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range items {
		items[i] = historyItem{Pred: pred("", "222", i%10, 0.5), Evaluated: true, TrueDigit: i % 10, At: base.Add(time.Duration(i) * time.Second)}
	}
	insertHistory(t, db, items)
	var buf bytes.Buffer
	if err := db.ExportCSV(bg, digitbot.Scope{}, &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(items)+1 {
		t.Fatalf("%d rows, want %d", len(rows)-1, len(items))
	}
	seen := map[string]bool{}
	for i, row := range rows[1:] {
		if seen[row[0]] {
			t.Fatalf("row %d repeats %s", i, row[0])
		}
		seen[row[0]] = true
		if row[0] != items[i].Pred.ID {
			t.Fatalf("row %d out of order", i)
		}
	}
}

func TestStore_GuildConfig_DefaultsAndValidation(t *testing.T) {
	clock := newFakeClock()
	db := MustOpenDBWith(t, Options{Now: clock.Now})
	cfg, err := db.GuildConfig(bg, "111")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GuildID != "111" || cfg.Threshold != 0 || cfg.WatchedChannels != nil {
		t.Fatalf("unset config = %+v", cfg)
	}
	bad := []digitbot.GuildConfig{
		{GuildID: "111", Threshold: 1},
		{GuildID: "111", Threshold: -0.1},
		{GuildID: "111", Threshold: 1.5},
		{GuildID: "111", WatchedChannels: []string{"general"}},
		{GuildID: "111", WatchedChannels: []string{""}},
		{GuildID: ""},
	}
	for _, c := range bad {
		wantCode(t, db.SetGuildConfig(bg, c), digitbot.EINVALID)
	}
	if cfg, _ := db.GuildConfig(bg, "111"); cfg.Threshold != 0 {
		t.Fatal("a refused config was stored")
	}
	good := digitbot.GuildConfig{GuildID: "111", WatchedChannels: []string{"123", "456", "123"}, Threshold: 0.85, UpdatedBy: "222"}
	if err := db.SetGuildConfig(bg, good); err != nil {
		t.Fatal(err)
	}
	cfg, err = db.GuildConfig(bg, "111")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Threshold != 0.85 || len(cfg.WatchedChannels) != 2 || !cfg.Watches("456") || cfg.UpdatedBy != "222" || !cfg.UpdatedAt.Equal(clock.Now()) {
		t.Fatalf("stored config = %+v", cfg)
	}
	_, err = db.GuildConfig(bg, "")
	wantCode(t, err, digitbot.EINVALID)
}
