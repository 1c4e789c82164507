package store

import (
	"testing"
	"time"

	"github.com/digitbot/digitbot"
)

// populate writes, through the public API, evaluated and pending
// predictions of two users in two servers and in DMs, plus a server config
// last changed by the first user. It returns the evaluations.
func populate(t *testing.T, db *DB, clock *fakeClock, users, guilds []string) []digitbot.Evaluation {
	t.Helper()
	var evals []digitbot.Evaluation
	for i := range 24 {
		p := pred(guilds[i%len(guilds)], users[i%len(users)], i%10, 0.5+float64(i)/100)
		p.MessageID, p.AttachmentID = "900"+p.UserID, "901"+p.GuildID // ids embedded in other fields too
		p = mustSave(t, db, p)
		clock.Add(5 * time.Hour)
		if i%4 == 3 {
			continue // stays pending
		}
		e, err := db.Evaluate(bg, p.ID, p.UserID, (i*3)%10)
		if err != nil {
			t.Fatal(err)
		}
		evals = append(evals, e)
	}
	return evals
}

func TestStore_ForgetUser_LeavesNoTrace(t *testing.T) {
	clock := newFakeClock()
	db := MustOpenDBWith(t, Options{Now: clock.Now})
	forgotten, kept := "user-forget-55501", "user-keep-66602"
	guild := "guild-shared-77703"
	evals := populate(t, db, clock, []string{forgotten, kept}, []string{guild, ""})
	if err := db.SetGuildConfig(bg, digitbot.GuildConfig{GuildID: guild, WatchedChannels: []string{"123"}, UpdatedBy: forgotten}); err != nil {
		t.Fatal(err)
	}
	if len(findID(t, db, forgotten)) == 0 {
		t.Fatal("test setup: the user's id is not in the file to begin with")
	}

	if err := db.ForgetUser(bg, forgotten); err != nil {
		t.Fatal(err)
	}
	if hits := findID(t, db, forgotten); len(hits) != 0 {
		t.Fatalf("forgotten user's id still in the file:\n%v", hits)
	}
	remaining := filterOut(evals, func(e digitbot.Evaluation) bool { return e.UserID == forgotten })
	for _, scope := range []digitbot.Scope{{}, {GuildID: guild}, {UserID: kept}, {GuildID: guild, UserID: kept}, {UserID: forgotten}} {
		s, err := db.Stats(bg, scope)
		if err != nil {
			t.Fatal(err)
		}
		if d := diffStats(s, digitbot.NewStats(scope, filterEvals(scope, remaining))); d != "" {
			t.Fatalf("Stats(%+v) after forget: %s", scope, d)
		}
	}
	hist, _ := db.History(bg, digitbot.Scope{UserID: kept}, 0)
	if len(hist) != len(filterEvals(digitbot.Scope{UserID: kept}, evals)) {
		t.Fatalf("kept user lost history: %d", len(hist))
	}
	cfg, err := db.GuildConfig(bg, guild)
	if err != nil || len(cfg.WatchedChannels) != 1 || cfg.UpdatedBy != "" {
		t.Fatalf("config after forget = %+v, %v", cfg, err)
	}
	// Forgetting twice, or a stranger, is fine.
	if err := db.ForgetUser(bg, forgotten); err != nil {
		t.Fatal(err)
	}
	if err := db.ForgetUser(bg, "never-seen"); err != nil {
		t.Fatal(err)
	}
}

func TestStore_PurgeGuild_LeavesNoTrace(t *testing.T) {
	clock := newFakeClock()
	db := MustOpenDBWith(t, Options{Now: clock.Now})
	purged, kept := "guild-purge-12121", "guild-keep-34343"
	users := []string{"user-one-50505", "user-two-60606"}
	evals := populate(t, db, clock, users, []string{purged, kept, ""})
	if err := db.SetGuildConfig(bg, digitbot.GuildConfig{GuildID: purged, Threshold: 0.8}); err != nil {
		t.Fatal(err)
	}

	if err := db.PurgeGuild(bg, purged); err != nil {
		t.Fatal(err)
	}
	if hits := findID(t, db, purged); len(hits) != 0 {
		t.Fatalf("purged server's id still in the file:\n%v", hits)
	}
	remaining := filterOut(evals, func(e digitbot.Evaluation) bool { return e.GuildID == purged })
	scopes := []digitbot.Scope{{}, {GuildID: kept}, {GuildID: purged}}
	for _, u := range users {
		scopes = append(scopes, digitbot.Scope{UserID: u}, digitbot.Scope{GuildID: kept, UserID: u}, digitbot.Scope{GuildID: purged, UserID: u})
	}
	for _, scope := range scopes {
		s, err := db.Stats(bg, scope)
		if err != nil {
			t.Fatal(err)
		}
		if d := diffStats(s, digitbot.NewStats(scope, filterEvals(scope, remaining))); d != "" {
			t.Fatalf("Stats(%+v) after purge: %s", scope, d)
		}
	}
	cfg, err := db.GuildConfig(bg, purged)
	if err != nil || cfg.Threshold != 0 {
		t.Fatalf("purged config still set: %+v %v", cfg, err)
	}
}

func TestStore_ForgetUser_RemovesPendingPredictions(t *testing.T) {
	db := MustOpenDB(t)
	p := mustSave(t, db, pred("", "user-pending-only-1", 4, 0.4))
	if err := db.ForgetUser(bg, "user-pending-only-1"); err != nil {
		t.Fatal(err)
	}
	_, err := db.Prediction(bg, p.ID)
	wantCode(t, err, digitbot.ENOTFOUND)
	if hits := findBytes(t, db, []byte("user-pending-only-1")); len(hits) != 0 {
		t.Fatalf("id remains: %v", hits)
	}
	wantCode(t, db.ForgetUser(bg, ""), digitbot.EINVALID)
	wantCode(t, db.PurgeGuild(bg, ""), digitbot.EINVALID)
}
