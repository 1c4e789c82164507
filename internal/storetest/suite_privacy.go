package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/digitbot/digitbot"
)

func testGuildConfigDefaultsAndValidation(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db, clock := h.db, h.clock
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
	good := digitbot.GuildConfig{GuildID: "111", WatchedChannels: []string{"123", "456", "123"}, Threshold: 0.85, Learning: digitbot.LearningOff, UpdatedBy: "222"}
	if err := db.SetGuildConfig(bg, good); err != nil {
		t.Fatal(err)
	}
	cfg, err = db.GuildConfig(bg, "111")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Threshold != 0.85 || len(cfg.WatchedChannels) != 2 || !cfg.Watches("456") || cfg.Learning != digitbot.LearningOff || cfg.UpdatedBy != "222" || !cfg.UpdatedAt.Equal(clock.Now()) {
		t.Fatalf("stored config = %+v", cfg)
	}
	_, err = db.GuildConfig(bg, "")
	wantCode(t, err, digitbot.EINVALID)
}

func testForgetUserLeavesNoTrace(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db, clock := h.db, h.clock
	forgotten, kept := "user-forget-55501", "user-keep-66602"
	guild := "guild-shared-77703"
	evals := populate(t, db, clock, []string{forgotten, kept}, []string{guild, ""})
	if err := db.SetGuildConfig(bg, digitbot.GuildConfig{GuildID: guild, WatchedChannels: []string{"123"}, UpdatedBy: forgotten}); err != nil {
		t.Fatal(err)
	}
	if len(h.find(t, forgotten)) == 0 {
		t.Fatal("test setup: the user's id is not in the file to begin with")
	}

	if err := db.ForgetUser(bg, forgotten); err != nil {
		t.Fatal(err)
	}
	if hits := h.find(t, forgotten); len(hits) != 0 {
		t.Fatalf("forgotten user's id still in the file:\n%v", hits)
	}
	remaining := FilterOut(evals, func(e digitbot.Evaluation) bool { return e.UserID == forgotten })
	for _, scope := range []digitbot.Scope{{}, {GuildID: guild}, {UserID: kept}, {GuildID: guild, UserID: kept}, {UserID: forgotten}} {
		s, err := db.Stats(bg, scope)
		if err != nil {
			t.Fatal(err)
		}
		if d := DiffStats(s, digitbot.NewStats(scope, FilterEvals(scope, remaining))); d != "" {
			t.Fatalf("Stats(%+v) after forget: %s", scope, d)
		}
	}
	hist, _ := db.History(bg, digitbot.Scope{UserID: kept}, 0)
	if len(hist) != len(FilterEvals(digitbot.Scope{UserID: kept}, evals)) {
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

func testPurgeGuildLeavesNoTrace(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db, clock := h.db, h.clock
	purged, kept := "guild-purge-12121", "guild-keep-34343"
	users := []string{"user-one-50505", "user-two-60606"}
	evals := populate(t, db, clock, users, []string{purged, kept, ""})
	if err := db.SetGuildConfig(bg, digitbot.GuildConfig{GuildID: purged, Threshold: 0.8}); err != nil {
		t.Fatal(err)
	}

	if err := db.PurgeGuild(bg, purged); err != nil {
		t.Fatal(err)
	}
	if hits := h.find(t, purged); len(hits) != 0 {
		t.Fatalf("purged server's id still in the file:\n%v", hits)
	}
	remaining := FilterOut(evals, func(e digitbot.Evaluation) bool { return e.GuildID == purged })
	scopes := []digitbot.Scope{{}, {GuildID: kept}, {GuildID: purged}}
	for _, u := range users {
		scopes = append(scopes, digitbot.Scope{UserID: u}, digitbot.Scope{GuildID: kept, UserID: u}, digitbot.Scope{GuildID: purged, UserID: u})
	}
	for _, scope := range scopes {
		s, err := db.Stats(bg, scope)
		if err != nil {
			t.Fatal(err)
		}
		if d := DiffStats(s, digitbot.NewStats(scope, FilterEvals(scope, remaining))); d != "" {
			t.Fatalf("Stats(%+v) after purge: %s", scope, d)
		}
	}
	cfg, err := db.GuildConfig(bg, purged)
	if err != nil || cfg.Threshold != 0 {
		t.Fatalf("purged config still set: %+v %v", cfg, err)
	}
}

func testForgetUserRemovesPendingPredictions(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db := h.db
	p := MustSave(t, db, Pred("", "user-pending-only-1", 4, 0.4))
	if err := db.ForgetUser(bg, "user-pending-only-1"); err != nil {
		t.Fatal(err)
	}
	_, err := db.Prediction(bg, p.ID)
	wantCode(t, err, digitbot.ENOTFOUND)
	if hits := h.find(t, "user-pending-only-1"); len(hits) != 0 {
		t.Fatalf("id remains: %v", hits)
	}
	wantCode(t, db.ForgetUser(bg, ""), digitbot.EINVALID)
	wantCode(t, db.PurgeGuild(bg, ""), digitbot.EINVALID)
}

// testGuildPurgeQueue: the servers with data are listed; a queued purge
// deletes the server's data when run and leaves the queue; other servers
// and DMs are untouched. (That the queue survives a restart is each
// backend's own test.)
func testGuildPurgeQueue(t *testing.T, b Backend) {
	h := b.open(t, 0)
	db := h.db
	for _, p := range []digitbot.Prediction{Pred("111", "222", 3, 0.9), Pred("444", "222", 4, 0.8), Pred("", "222", 5, 0.7)} {
		p = MustSave(t, db, p)
		if _, err := db.Evaluate(bg, p.ID, "222", p.Digit); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SetGuildConfig(bg, digitbot.GuildConfig{GuildID: "777", Threshold: 0.8}); err != nil {
		t.Fatal(err)
	}
	got, err := db.StoredGuilds(bg)
	if err != nil || !slices.Equal(got, []string{"111", "444", "777"}) {
		t.Fatalf("StoredGuilds = %v, %v; want [111 444 777]", got, err)
	}
	if err := db.QueueGuildPurges(bg, "111", "777"); err != nil {
		t.Fatal(err)
	}
	queued, err := db.QueuedGuildPurges(bg)
	if err != nil || !slices.Equal(queued, []string{"111", "777"}) {
		t.Fatalf("queue = %v, %v", queued, err)
	}
	for _, id := range queued {
		if err := db.PurgeQueuedGuild(bg, id); err != nil {
			t.Fatal(err)
		}
	}
	if queued, _ := db.QueuedGuildPurges(bg); len(queued) != 0 {
		t.Errorf("queue after purging = %v, want empty", queued)
	}
	if got, _ := db.StoredGuilds(bg); !slices.Equal(got, []string{"444"}) {
		t.Errorf("StoredGuilds after purging = %v, want [444]", got)
	}
	if s, _ := db.Stats(bg, digitbot.Scope{UserID: "222"}); s.Total != 2 {
		t.Errorf("user 222 has %d evaluations left, want 2 (server 444 and the DM)", s.Total)
	}
	// Unqueue without purging.
	if err := db.QueueGuildPurges(bg, "444"); err != nil {
		t.Fatal(err)
	}
	if err := db.UnqueueGuildPurge(bg, "444"); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.StoredGuilds(bg); !slices.Equal(got, []string{"444"}) {
		t.Errorf("unqueueing deleted data: %v", got)
	}
	wantCode(t, db.QueueGuildPurges(bg, ""), digitbot.EINVALID)
}

// populate writes, through the public API, evaluated and pending
// predictions of two users in two servers and in DMs. It returns the
// evaluations.
func populate(t *testing.T, db digitbot.Store, clock *Clock, users, guilds []string) []digitbot.Evaluation {
	t.Helper()
	var evals []digitbot.Evaluation
	for i := range 24 {
		p := Pred(guilds[i%len(guilds)], users[i%len(users)], i%10, 0.5+float64(i)/100)
		p.MessageID, p.AttachmentID = "900"+p.UserID, "901"+p.GuildID // ids embedded in other fields too
		p = MustSave(t, db, p)
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
