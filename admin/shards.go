package admin

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ShardStatus is one gateway shard as the bot reports it (the bot's
// ShardStatus, copied by the wiring: admin imports no other package).
type ShardStatus struct {
	ID         int           `json:"id"`
	State      string        `json:"state"` // waiting, connecting, connected, reconnecting, stopped
	Latency    time.Duration `json:"-"`
	Reconnects int64         `json:"reconnects"`
}

// shardReport is ShardStatus as /healthz writes it.
type shardReport struct {
	ShardStatus
	LatencyMS float64 `json:"latency_ms"`
}

// ShardSource reports every shard of the process, in shard order. It is
// called on each /metrics scrape and /healthz request.
type ShardSource func() []ShardStatus

var (
	shardConnectedDesc = prometheus.NewDesc("digitbot_shard_connected",
		"1 while the shard's gateway connection is up (READY or RESUMED).", []string{"shard"}, nil)
	shardStateDesc = prometheus.NewDesc("digitbot_shard_state",
		"The shard's state: 1 for the current one (waiting, connecting, connected, reconnecting, stopped).", []string{"shard", "state"}, nil)
	shardLatencyDesc = prometheus.NewDesc("digitbot_shard_heartbeat_latency_seconds",
		"Time from the shard's last heartbeat to its ACK.", []string{"shard"}, nil)
	shardReconnectsDesc = prometheus.NewDesc("digitbot_shard_reconnects_total",
		"Gateway connections of the shard lost and made again since start.", []string{"shard"}, nil)
)

// shardCollector turns a ShardSource into metrics at scrape time.
type shardCollector struct {
	mu     sync.Mutex
	source ShardSource
}

func (c *shardCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- shardConnectedDesc
	ch <- shardStateDesc
	ch <- shardLatencyDesc
	ch <- shardReconnectsDesc
}

func (c *shardCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	source := c.source
	c.mu.Unlock()
	if source == nil {
		return
	}
	for _, s := range source() {
		id := strconv.Itoa(s.ID)
		up := 0.0
		if s.State == "connected" {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(shardConnectedDesc, prometheus.GaugeValue, up, id)
		ch <- prometheus.MustNewConstMetric(shardStateDesc, prometheus.GaugeValue, 1, id, s.State)
		ch <- prometheus.MustNewConstMetric(shardLatencyDesc, prometheus.GaugeValue, s.Latency.Seconds(), id)
		ch <- prometheus.MustNewConstMetric(shardReconnectsDesc, prometheus.CounterValue, float64(s.Reconnects), id)
	}
}

// WatchShards makes /metrics report each shard from source, with a shard
// label. Calling it again replaces the source.
func (m *Metrics) WatchShards(source ShardSource) {
	if m == nil {
		return
	}
	m.shards.mu.Lock()
	m.shards.source = source
	m.shards.mu.Unlock()
}

// ReportShards makes /healthz list each shard (id, state, heartbeat
// latency, reconnects) next to its status; it may be called while the
// server serves (the bot starts after the admin server).
func (s *Server) ReportShards(source ShardSource) { s.shards.Store(&source) }

func shardReports(source ShardSource) []shardReport {
	if source == nil {
		return nil
	}
	var out []shardReport
	for _, st := range source() {
		out = append(out, shardReport{ShardStatus: st, LatencyMS: float64(st.Latency.Microseconds()) / 1000})
	}
	return out
}
