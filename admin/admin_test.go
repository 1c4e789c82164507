package admin_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitbot/digitbot/admin"
)

func startServer(t *testing.T, m *admin.Metrics, ready func() error) *admin.Server {
	t.Helper()
	s, err := admin.NewServer("127.0.0.1:0", m, ready)
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServer_Healthz_FollowsReadiness(t *testing.T) {
	var down atomic.Bool
	s := startServer(t, nil, func() error {
		if down.Load() {
			return errors.New("gateway disconnected")
		}
		return nil
	})
	if code, body := get(t, "http://"+s.Addr()+"/healthz"); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("healthy: %d %s", code, body)
	}
	if err := admin.CheckHealth(context.Background(), s.Addr()); err != nil {
		t.Fatalf("CheckHealth: %v", err)
	}
	down.Store(true)
	if code, body := get(t, "http://"+s.Addr()+"/healthz"); code != 503 || !strings.Contains(body, "gateway disconnected") {
		t.Fatalf("unhealthy: %d %s", code, body)
	}
	if err := admin.CheckHealth(context.Background(), s.Addr()); err == nil {
		t.Fatal("CheckHealth passed on an unhealthy bot")
	}
}

func TestServer_Metrics_ExposesBotCounters(t *testing.T) {
	m := admin.NewMetrics()
	m.ObservePrediction("ok", 3*time.Millisecond)
	m.ObservePrediction("no_digit", 0)
	m.ObserveEvaluation("right")
	m.ObserveReply(15 * time.Millisecond)
	m.SetGatewayConnected(true)
	m.ObserveRateLimited()
	s := startServer(t, m, nil)
	code, body := get(t, "http://"+s.Addr()+"/metrics")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	for _, want := range []string{
		`digitbot_predictions_total{outcome="ok"} 1`,
		`digitbot_predictions_total{outcome="no_digit"} 1`,
		`digitbot_evaluations_total{result="right"} 1`,
		`digitbot_gateway_connected 1`,
		`digitbot_rate_limited_total 1`,
		`digitbot_classify_seconds_count 1`,
		`digitbot_reply_seconds_count 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// A bot started without metrics holds a nil *Metrics and calls it on every
// event: each method must be a no-op (a panic would take down the handler),
// and the admin server then serves /healthz but no /metrics.
func TestMetrics_NilIsSafe(t *testing.T) {
	var m *admin.Metrics
	for name, call := range map[string]func(){
		"ObservePrediction":   func() { m.ObservePrediction("ok", time.Millisecond) },
		"ObserveReply":        func() { m.ObserveReply(time.Millisecond) },
		"ObserveEvaluation":   func() { m.ObserveEvaluation("right") },
		"SetGatewayConnected": func() { m.SetGatewayConnected(false) },
		"ObserveRateLimited":  func() { m.ObserveRateLimited() },
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s on a nil *Metrics panicked: %v", name, r)
				}
			}()
			call()
		}()
	}
	s := startServer(t, m, nil)
	if code, body := get(t, "http://"+s.Addr()+"/healthz"); code != 200 {
		t.Errorf("/healthz without metrics: %d %s", code, body)
	}
	if code, _ := get(t, "http://"+s.Addr()+"/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics without metrics: status %d, want 404", code)
	}
}

func TestCheckHealth_NothingListening(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := admin.CheckHealth(ctx, "127.0.0.1:1"); err == nil {
		t.Fatal("no error with nothing listening")
	}
}

func TestCheckHealth_SomethingElseAnswers(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"404 page": func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
		"200 html": func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>hello</html>")) },
		"503 json": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"unavailable"}`))
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			err := admin.CheckHealth(context.Background(), strings.TrimPrefix(srv.URL, "http://"))
			if err == nil {
				t.Fatal("CheckHealth passed")
			}
			if msg := err.Error(); strings.HasSuffix(msg, ": ") || !strings.Contains(msg, "HTTP") {
				t.Errorf("error %q gives no reason", msg)
			}
		})
	}
}
