package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server serves /healthz and /metrics.
type Server struct {
	http   *http.Server
	ln     net.Listener
	ready  func() error
	shards atomic.Pointer[ShardSource] // optional (shards.go)
}

// NewServer listens on addr (host:port; port 0 picks one). ready reports
// whether the bot can serve users (gateway connected, store open); nil means
// always ready.
func NewServer(addr string, m *Metrics, ready func() error) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, ready: ready}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.handleHealth)
	if m != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	}
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve serves until Close; it returns nil after a clean Close.
func (s *Server) Serve() error {
	if err := s.http.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close stops the server, letting requests in flight finish for up to ctx.
func (s *Server) Close(ctx context.Context) error { return s.http.Shutdown(ctx) }

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	var err error
	if s.ready != nil {
		err = s.ready()
	}
	body := struct {
		Status string        `json:"status"`
		Reason string        `json:"reason,omitempty"`
		Shards []shardReport `json:"shards,omitempty"`
	}{Status: "ok"}
	if src := s.shards.Load(); src != nil {
		body.Shards = shardReports(*src)
	}
	if err != nil {
		body.Status, body.Reason = "unavailable", err.Error()
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(body)
}

// CheckHealth asks a running bot's /healthz at addr; it is what
// `digitbot health` (the Docker HEALTHCHECK) calls, since the image has no curl.
func CheckHealth(ctx context.Context, addr string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct{ Status, Reason string }
	decodeErr := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body)
	switch {
	case decodeErr != nil || body.Status == "":
		// Something else answers on that address (another service, a
		// proxy's error page): say so rather than "unhealthy" with no reason.
		return fmt.Errorf("not a digitbot /healthz answer (HTTP %s, %s): is admin_addr right?", resp.Status, resp.Header.Get("Content-Type"))
	case resp.StatusCode != http.StatusOK || body.Status != "ok":
		reason := body.Reason
		if reason == "" {
			reason = "status " + body.Status + ", HTTP " + resp.Status
		}
		return errors.New("unhealthy: " + reason)
	}
	return nil
}
