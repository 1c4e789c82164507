// Package playground serves a web page that looks and behaves like a minimal
// Discord channel, backed by the in-repo Discord-compatible server
// (fakediscord). The real bot connects to that server exactly as it connects
// to Discord; the page lets anyone post images, draw digits, run the slash
// commands, use the message context menu and press buttons as one of two
// pretend users, and follows every message, edit and ephemeral reply live
// through Server-Sent Events.
//
// The package knows nothing about the bot: it only scripts users on the
// server (PostMessage, RunSlashCommand, RunMessageCommand, PressButton) and
// shows what the server holds, as a Discord client would.
package playground

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/digitbot/digitbot/fakediscord"
)

// The world the playground shows: one server with one channel the bot
// watches. The ids are valid snowflakes like Discord's.
const (
	GuildID     = "1200000000000000001"
	ChannelID   = "1200000000000000002"
	GuildName   = "digitbot playground"
	ChannelName = "try-digitbot"
	// ownerID owns the guild; neither pretend user is the owner, so the
	// moderator's rights come from the Manage Server permission alone.
	ownerID = "1300000000000000001"
)

// Permission sets of the pretend users, as Discord computes them for the
// channel.
const (
	memberPermissions = int64(discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
		discordgo.PermissionEmbedLinks | discordgo.PermissionAttachFiles | discordgo.PermissionReadMessageHistory |
		discordgo.PermissionUseSlashCommands)
	moderatorPermissions = memberPermissions | int64(discordgo.PermissionManageGuild|discordgo.PermissionManageMessages)
)

// User is a pretend user the page can act as.
type User struct {
	// Key is how the page names the user ("ana", "mod").
	Key      string `json:"key"`
	ID       string `json:"id"`
	Name     string `json:"name"`
	Username string `json:"username"`
	// ManageServer gives the user Discord's Manage Server permission.
	ManageServer bool   `json:"manageServer"`
	Role         string `json:"role"`
	Color        string `json:"color"`
}

// DefaultUsers are Ana, a member, and Mod, a moderator with Manage Server.
func DefaultUsers() []User {
	return []User{
		{Key: "ana", ID: "1300000000000000002", Name: "Ana", Username: "ana", Role: "member", Color: "#5865f2"},
		{Key: "mod", ID: "1300000000000000003", Name: "Mod", Username: "mod", ManageServer: true, Role: "moderator", Color: "#eb459e"},
	}
}

func (u User) discordUser() *discordgo.User {
	return &discordgo.User{ID: u.ID, Username: u.Username, GlobalName: u.Name}
}

func (u User) permissions() *int64 {
	p := memberPermissions
	if u.ManageServer {
		p = moderatorPermissions
	}
	return &p
}

// ServerOptions are the fakediscord options of the playground's world: the
// guild and channel above, and an application allowed the Message Content
// intent (so images posted in the watched channel reach the bot, as with a
// bot whose owner enabled the intent in the Developer Portal).
func ServerOptions(logger *slog.Logger) fakediscord.Options {
	return fakediscord.Options{
		MessageContentAllowed: true,
		Guilds: []fakediscord.GuildOptions{{
			ID: GuildID, Name: GuildName, OwnerID: ownerID,
			Channels: []fakediscord.ChannelOptions{{ID: ChannelID, Name: ChannelName}},
		}},
		// Discord's own interval; the tests' 1 s default would only add noise.
		HeartbeatInterval: 41250 * time.Millisecond,
		Logger:            logger,
		// The page shows the recent channel; older messages and their
		// uploads are dropped so that a long session does not grow.
		MaxMessages: 200,
	}
}

//go:embed web
var webFiles embed.FS

// Options configure a Playground.
type Options struct {
	// Server is the Discord-compatible server the bot is connected to.
	Server *fakediscord.Server
	// GuildID and ChannelID say where the page's channel is (default: the
	// constants above).
	GuildID, ChannelID string
	// Users are the pretend users (default DefaultUsers).
	Users []User
	// MaxUploadBytes is the largest file accepted, the bot's byte cap on
	// images (default 10 MiB, Discord's default file limit).
	MaxUploadBytes int64
	// ResponseWait is how long to wait for the bot's first answer to an
	// interaction before telling the page it failed (default 4 s: Discord's
	// 3 s window plus a margin).
	ResponseWait time.Duration
	// DefaultLocale is the server's language ("en" or "es"), which the bot
	// answers posted images in; the page starts in it.
	DefaultLocale string
	Logger        *slog.Logger
	// AllowedHosts are the Host header values served ("127.0.0.1:8080",
	// "localhost:8080"); a request naming any other host is refused. A page
	// on the loopback interface must set them: otherwise a web site whose
	// name the attacker points at 127.0.0.1 (DNS rebinding) is same-origin
	// with the playground and can read its messages and exports. Empty
	// serves any host (a --public playground, reachable by name).
	AllowedHosts []string
}

// Playground is the page and its JSON/SSE API. It is an http.Handler.
type Playground struct {
	srv       *fakediscord.Server
	guildID   string
	channelID string
	users     []User
	maxUpload int64
	wait      time.Duration
	locale    string
	log       *slog.Logger
	mux       http.Handler
	web       fs.FS
	hosts     map[string]bool // allowed Host headers, lower case; nil = any

	hub    *hub
	modals *modals

	ctx    context.Context
	cancel context.CancelFunc
	tasks  sync.WaitGroup
}

// maxAttachments is Discord's limit of files in one message.
const maxAttachments = 10

// New builds a Playground and starts following the server's events. Call
// Close to stop; Close ends the live streams, so do it before shutting the
// HTTP server down.
func New(o Options) (*Playground, error) {
	if o.Server == nil {
		return nil, errors.New("playground: Options.Server is required")
	}
	if o.GuildID == "" {
		o.GuildID = GuildID
	}
	if o.ChannelID == "" {
		o.ChannelID = ChannelID
	}
	if len(o.Users) == 0 {
		o.Users = DefaultUsers()
	}
	seen := map[string]bool{}
	for _, u := range o.Users {
		if u.Key == "" || u.ID == "" || seen[u.Key] {
			return nil, fmt.Errorf("playground: user %+v needs a unique key and an id", u)
		}
		seen[u.Key] = true
	}
	if o.MaxUploadBytes <= 0 {
		o.MaxUploadBytes = 10 << 20
	}
	if o.ResponseWait <= 0 {
		o.ResponseWait = 4 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	locale, err := normalizeLocale(o.DefaultLocale)
	if err != nil {
		return nil, fmt.Errorf("playground: DefaultLocale: %w", err)
	}
	web, err := fs.Sub(webFiles, "web")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Playground{
		srv: o.Server, guildID: o.GuildID, channelID: o.ChannelID, users: o.Users,
		maxUpload: o.MaxUploadBytes, wait: o.ResponseWait, locale: locale, log: o.Logger, web: web,
		ctx: ctx, cancel: cancel,
	}
	if len(o.AllowedHosts) > 0 {
		p.hosts = map[string]bool{}
		for _, h := range o.AllowedHosts {
			p.hosts[strings.ToLower(h)] = true
		}
	}
	p.hub = newHub()
	p.modals = newModals()
	events, unsubscribe := p.srv.Subscribe()
	p.tasks.Go(func() {
		defer unsubscribe()
		p.pump(events)
	})
	p.routes()
	return p, nil
}

// Close ends the live streams and waits for the playground's goroutines.
func (p *Playground) Close() {
	p.cancel()
	p.hub.close()
	p.tasks.Wait()
}

// ServeHTTP serves the page and the API.
func (p *Playground) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The page runs only its own script and shows only its own images:
	// uploaded files can never run as code on this origin.
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	if p.hosts != nil && !p.hosts[strings.ToLower(r.Host)] {
		p.log.Warn("request for another host refused (DNS rebinding?)", "host", clipHost(r.Host))
		writeError(w, http.StatusMisdirectedRequest, "This playground is not served under that host name; open it by the address it printed at start.")
		return
	}
	p.mux.ServeHTTP(w, r)
}

func (p *Playground) routes() {
	m := http.NewServeMux()
	m.Handle("GET /{$}", p.page("index.html"))
	m.Handle("GET /app.js", p.page("app.js"))
	// The page's other ES modules; {name} is one path segment.
	m.Handle("GET /js/{name}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.page("js/"+r.PathValue("name")).ServeHTTP(w, r)
	}))
	m.Handle("GET /style.css", p.page("style.css"))
	m.Handle("GET /favicon.svg", p.page("favicon.svg"))
	m.HandleFunc("GET /api/state", p.getState)
	m.HandleFunc("GET /api/messages", p.getMessages)
	m.HandleFunc("POST /api/messages", p.postMessage)
	m.HandleFunc("POST /api/commands", p.postCommand)
	m.HandleFunc("POST /api/context-menu", p.postContextMenu)
	m.HandleFunc("POST /api/buttons", p.postButton)
	m.HandleFunc("POST /api/modals", p.postModal)
	m.HandleFunc("GET /api/events", p.getEvents)
	m.HandleFunc("GET /files/{id}/{name}", p.getFile)
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("There is no API endpoint %s %s.", r.Method, r.URL.Path))
	})
	// Cross-origin POSTs are refused (Sec-Fetch-Site, or Origin against
	// Host): another site open in the same browser must not post, press
	// buttons or run commands as the page's users.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, "Cross-origin requests are not allowed.")
	}))
	p.mux = cop.Handler(m)
}

// clipHost keeps a logged Host header short: it is the client's text.
func clipHost(h string) string {
	if len(h) > 100 {
		return h[:100] + "…"
	}
	return h
}

// page serves one embedded file; the page is small, so no caching games:
// a new binary's page is seen at once.
func (p *Playground) page(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, p.web, name)
	})
}

// user finds a pretend user by key.
func (p *Playground) user(key string) (User, bool) {
	for _, u := range p.users {
		if u.Key == key {
			return u, true
		}
	}
	return User{}, false
}

// userByID finds a pretend user by Discord id.
func (p *Playground) userByID(id string) (User, bool) {
	for _, u := range p.users {
		if u.ID == id {
			return u, true
		}
	}
	return User{}, false
}

// userKeys lists the pretend users' keys for error messages.
func (p *Playground) userKeys() []string {
	keys := make([]string, len(p.users))
	for i, u := range p.users {
		keys[i] = u.Key
	}
	return keys
}
