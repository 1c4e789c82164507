package admin_test

import (
	"context"
	"encoding/json"
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

func TestShards_ReportedOnMetricsAndHealthz(t *testing.T) {
	m := admin.NewMetrics()
	var reconnects atomic.Int64
	source := func() []admin.ShardStatus {
		return []admin.ShardStatus{
			{ID: 0, State: "connected", Latency: 42 * time.Millisecond, Reconnects: reconnects.Load()},
			{ID: 1, State: "reconnecting", Reconnects: 3},
		}
	}
	m.WatchShards(source)
	s, err := admin.NewServer("127.0.0.1:0", m, func() error { return errors.New("discord gateway not connected on shard 1") })
	if err != nil {
		t.Fatal(err)
	}
	s.ReportShards(source)
	go s.Serve()
	t.Cleanup(func() { s.Close(context.Background()) })
	reconnects.Store(2)
	_, body := get(t, "http://"+s.Addr()+"/metrics")
	for _, want := range []string{
		`digitbot_shard_connected{shard="0"} 1`,
		`digitbot_shard_connected{shard="1"} 0`,
		`digitbot_shard_state{shard="1",state="reconnecting"} 1`,
		`digitbot_shard_heartbeat_latency_seconds{shard="0"} 0.042`,
		`digitbot_shard_reconnects_total{shard="0"} 2`,
		`digitbot_shard_reconnects_total{shard="1"} 3`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	code, body := get(t, "http://"+s.Addr()+"/healthz")
	var health struct {
		Status string
		Reason string
		Shards []struct {
			ID         int     `json:"id"`
			State      string  `json:"state"`
			LatencyMS  float64 `json:"latency_ms"`
			Reconnects int64   `json:"reconnects"`
		}
	}
	if err := json.Unmarshal([]byte(body), &health); err != nil {
		t.Fatalf("/healthz body %q: %v", body, err)
	}
	if code != 503 || health.Status != "unavailable" || !strings.Contains(health.Reason, "shard 1") {
		t.Errorf("/healthz = %d %s", code, body)
	}
	if len(health.Shards) != 2 || health.Shards[0].LatencyMS != 42 || health.Shards[1].State != "reconnecting" || health.Shards[0].Reconnects != 2 {
		t.Errorf("/healthz shards = %+v", health.Shards)
	}
	if err := admin.CheckHealth(context.Background(), s.Addr()); err == nil || !strings.Contains(err.Error(), "shard 1") {
		t.Errorf("CheckHealth = %v", err)
	}
}
