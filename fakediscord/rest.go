package fakediscord

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// Request records one REST call the server answered.
type Request struct {
	Method string
	Route  string // e.g. "POST /channels/{channel_id}/messages"
	Path   string
	Status int
	Time   time.Time
}

type handlerFunc func(w http.ResponseWriter, r *http.Request) *APIError

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"code":0,"message":"500: Internal Server Error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, &APIError{Code: code, Message: msg})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// routes builds the server's handler: Host decides between the CDN and the
// API like Discord's separate hosts; the loopback host serves both.
func (s *Server) routes() http.Handler {
	api := http.NewServeMux()
	cdn := http.NewServeMux()
	type route struct {
		pattern string
		auth    bool
		h       handlerFunc
	}
	table := []route{
		{"GET /gateway", false, s.getGateway},
		{"GET /gateway/bot", true, s.getGatewayBot},
		{"GET /users/@me", true, s.getMe},
		{"GET /users/{user_id}", true, s.getUser},
		{"POST /users/@me/channels", true, s.createDM},
		{"GET /applications/@me", true, s.getApplication},
		{"GET /oauth2/applications/@me", true, s.getApplication},
		{"GET /guilds/{guild_id}", true, s.getGuild},
		{"GET /guilds/{guild_id}/channels", true, s.getGuildChannels},
		{"GET /guilds/{guild_id}/members/{user_id}", true, s.getMember},
		{"GET /channels/{channel_id}", true, s.getChannel},
		{"POST /channels/{channel_id}/typing", true, s.typing},
		{"GET /channels/{channel_id}/messages", true, s.getMessages},
		{"POST /channels/{channel_id}/messages", true, s.createMessage},
		{"GET /channels/{channel_id}/messages/{message_id}", true, s.getMessage},
		{"PATCH /channels/{channel_id}/messages/{message_id}", true, s.editMessage},
		{"DELETE /channels/{channel_id}/messages/{message_id}", true, s.deleteMessage},
		{"GET /applications/{application_id}/commands", true, s.getCommands},
		{"PUT /applications/{application_id}/commands", true, s.putCommands},
		{"POST /applications/{application_id}/commands", true, s.postCommand},
		{"DELETE /applications/{application_id}/commands/{command_id}", true, s.deleteCommand},
		{"GET /applications/{application_id}/guilds/{guild_id}/commands", true, s.getCommands},
		{"PUT /applications/{application_id}/guilds/{guild_id}/commands", true, s.putCommands},
		{"POST /applications/{application_id}/guilds/{guild_id}/commands", true, s.postCommand},
		{"DELETE /applications/{application_id}/guilds/{guild_id}/commands/{command_id}", true, s.deleteCommand},
		{"POST /interactions/{interaction_id}/{token}/callback", false, s.interactionCallback},
		{"POST /webhooks/{application_id}/{token}", false, s.webhookExecute},
		{"GET /webhooks/{application_id}/{token}/messages/{message_id}", false, s.webhookGetMessage},
		{"PATCH /webhooks/{application_id}/{token}/messages/{message_id}", false, s.webhookEditMessage},
		{"DELETE /webhooks/{application_id}/{token}/messages/{message_id}", false, s.webhookDeleteMessage},
	}
	for _, rt := range table {
		method, path, _ := strings.Cut(rt.pattern, " ")
		h := s.wrap(rt.pattern, rt.auth, rt.h)
		for _, v := range []string{"/api/v9", "/api/v10", "/api"} {
			api.Handle(method+" "+v+path, h)
		}
	}
	notFound := func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, 0, "404: Not Found")
	}
	api.HandleFunc("/", notFound)
	for _, p := range []string{"GET /attachments/{channel_id}/{attachment_id}/{filename}", "GET /ephemeral-attachments/{application_id}/{attachment_id}/{filename}"} {
		cdn.HandleFunc(p, s.serveCDN)
		api.HandleFunc(p, s.serveCDN) // loopback host serves both
	}
	cdn.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := splitHostPort(host); err == nil {
			host = h
		}
		switch {
		case host == "cdn.discordapp.com" || host == "media.discordapp.net":
			cdn.ServeHTTP(w, r)
		case websocket.IsWebSocketUpgrade(r) && (r.URL.Path == "/" || r.URL.Path == ""):
			s.serveGateway(w, r)
		default:
			api.ServeHTTP(w, r)
		}
	})
}

func splitHostPort(hostport string) (string, string, error) {
	i := strings.LastIndex(hostport, ":")
	if i < 0 || strings.Contains(hostport[i:], "]") {
		return hostport, "", errors.New("no port")
	}
	return hostport[:i], hostport[i+1:], nil
}

var placeholder = regexp.MustCompile(`\{[^}]*\}`)

// normRoute makes "POST /channels/{id}/messages" and
// "POST /channels/{channel_id}/messages" equal.
func normRoute(route string) string {
	return placeholder.ReplaceAllString(strings.TrimSpace(route), "{}")
}

func (s *Server) wrap(pattern string, auth bool, h handlerFunc) http.Handler {
	norm := normRoute(pattern)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		start := time.Now()
		defer func() {
			s.log.Debug("fakediscord: REST", "method", r.Method, "route", pattern, "status", rec.status, "duration", time.Since(start))
			s.mu.Lock()
			s.requests = append(s.requests, Request{Method: r.Method, Route: pattern, Path: r.URL.Path, Status: rec.status, Time: s.clock.Now()})
			if len(s.requests) > 20000 {
				s.requests = s.requests[len(s.requests)-10000:]
			}
			s.notifyLocked()
			s.mu.Unlock()
		}()
		if s.applyRateLimit(rec, norm, pattern) {
			return
		}
		if auth {
			s.mu.Lock()
			token := s.token
			s.mu.Unlock()
			if got := r.Header.Get("Authorization"); got != "Bot "+token {
				writeError(rec, http.StatusUnauthorized, 0, "401: Unauthorized")
				return
			}
		}
		h2 := rec.Header()
		h2.Set("X-RateLimit-Limit", "50")
		h2.Set("X-RateLimit-Remaining", "49")
		h2.Set("X-RateLimit-Reset-After", "1.000")
		h2.Set("X-RateLimit-Reset", fmt.Sprintf("%.3f", float64(time.Now().Add(time.Second).UnixMilli())/1000))
		h2.Set("X-RateLimit-Bucket", fmt.Sprintf("%x", norm))
		if err := h(rec, r); err != nil {
			if err.Status == 0 {
				err.Status = http.StatusBadRequest
			}
			writeJSON(rec, err.Status, err)
		}
	})
}
