package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/digitbot/digitbot/config"
	"github.com/digitbot/digitbot/fakediscord"
	"github.com/digitbot/digitbot/internal/pgtest"
	"github.com/digitbot/digitbot/postgres"
)

// With store = "postgres" the bot keeps its predictions in the database
// named by database_url (and never in a bbolt file), and never logs the
// URL, which may hold a password.
func TestRunner_PostgresStore_KeepsPredictionsThere(t *testing.T) {
	t.Parallel()
	pg := pgtest.NewServer(t, pgtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	url, err := pg.CreateDatabase(ctx, "run")
	if err != nil {
		t.Fatal(err)
	}
	url += " password=pw-never-logged" // trust authentication ignores it
	srv := fakediscord.New(t, fakediscord.Options{MessageContentAllowed: true})
	r, logs := newTestRunner(t, srv, srv.Token())
	r.Config.Store, r.Config.DatabaseURL = config.StorePostgres, url
	if err := r.Config.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := r.Run(ctx); err != nil {
		r.Close()
		t.Fatalf("Run: %v\n%s", err, logs.String())
	}
	if r.Postgres == nil || r.DB != nil {
		t.Fatalf("stores opened: postgres %v, bbolt %v", r.Postgres != nil, r.DB != nil)
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "bot", "testdata", "digit-7.png"))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := srv.PostMessage(fakediscord.MessageOptions{Attachments: []fakediscord.File{{Name: "seven.png", Data: data}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitMessage(ctx, func(m *fakediscord.Message) bool {
		return m.MessageReference != nil && m.MessageReference.MessageID == msg.ID
	}); err != nil {
		t.Fatalf("no reply: %v\n%s", err, logs.String())
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	db, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if guilds, err := db.StoredGuilds(ctx); err != nil || !slices.Contains(guilds, fakediscord.DefaultGuildID) {
		t.Errorf("the prediction is not in PostgreSQL: servers %v, %v", guilds, err)
	}
	if _, err := os.Stat(r.Config.DatabasePath); err == nil {
		t.Errorf("a bbolt file %s was created too", r.Config.DatabasePath)
	}
	if strings.Contains(logs.String(), "pw-never-logged") {
		t.Errorf("the database URL's password is in the logs")
	}
}
