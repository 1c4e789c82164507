// Package admin serves the operator's endpoints on a local port: /healthz
// for orchestrators and Docker's HEALTHCHECK, and Prometheus /metrics.
package admin

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the bot's Prometheus metrics, on a registry of their own so
// tests and several bots in one process never share counters. A nil
// *Metrics is valid and records nothing.
type Metrics struct {
	Registry *prometheus.Registry

	predictions      *prometheus.CounterVec
	classifySeconds  prometheus.Histogram
	replySeconds     prometheus.Histogram
	evaluations      *prometheus.CounterVec
	gatewayConnected prometheus.Gauge
	rateLimited      prometheus.Counter
	shards           *shardCollector // per-shard gauges (shards.go)
}

// NewMetrics creates and registers the metrics, plus Go runtime and
// process collectors.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	// Buckets from 1 ms to ~4 s: classification takes milliseconds, replies
	// include Discord's round trip.
	buckets := prometheus.ExponentialBuckets(0.001, 2, 13)
	m := &Metrics{
		Registry: reg,
		predictions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "digitbot_predictions_total",
			Help: "Images classified, by outcome (ok or an error code such as no_digit).",
		}, []string{"outcome"}),
		classifySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "digitbot_classify_seconds",
			Help:    "Time to decode, preprocess and classify one image.",
			Buckets: buckets,
		}),
		replySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "digitbot_reply_seconds",
			Help:    "Time from an event reaching the bot to its reply being accepted by Discord.",
			Buckets: buckets,
		}),
		evaluations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "digitbot_evaluations_total",
			Help: "Button presses on predictions, by result (right, wrong, forbidden, already_evaluated, ...).",
		}, []string{"result"}),
		gatewayConnected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "digitbot_gateway_connected",
			Help: "1 while the Discord gateway connection is up (of every shard of the process).",
		}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "digitbot_rate_limited_total",
			Help: "Requests refused by the per-user rate limit.",
		}),
	}
	m.shards = &shardCollector{}
	reg.MustRegister(m.predictions, m.classifySeconds, m.replySeconds, m.evaluations,
		m.gatewayConnected, m.rateLimited, m.shards,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObservePrediction counts one classified image and how long it took.
func (m *Metrics) ObservePrediction(outcome string, classify time.Duration) {
	if m == nil {
		return
	}
	m.predictions.WithLabelValues(outcome).Inc()
	if classify > 0 {
		m.classifySeconds.Observe(classify.Seconds())
	}
}

// ObserveReply records the time from event to reply.
func (m *Metrics) ObserveReply(d time.Duration) {
	if m == nil {
		return
	}
	m.replySeconds.Observe(d.Seconds())
}

// ObserveEvaluation counts one button press by its result.
func (m *Metrics) ObserveEvaluation(result string) {
	if m == nil {
		return
	}
	m.evaluations.WithLabelValues(result).Inc()
}

// SetGatewayConnected records the gateway state.
func (m *Metrics) SetGatewayConnected(up bool) {
	if m == nil {
		return
	}
	if up {
		m.gatewayConnected.Set(1)
	} else {
		m.gatewayConnected.Set(0)
	}
}

// ObserveRateLimited counts one request refused by the rate limit.
func (m *Metrics) ObserveRateLimited() {
	if m == nil {
		return
	}
	m.rateLimited.Inc()
}
