// Package metrics exposes terminald's Prometheus metrics and its health
// check over HTTP.
//
// Metrics live in a registry of their own, never in the client library's
// global default registry, so tests and several daemons in one process
// do not collide. Serve Handler on a loopback or LAN address chosen in
// the configuration; it carries no secrets, no amounts and no payment
// ids: labels are provider names, results and device states only.
package metrics

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric name.
const Namespace = "terminald"

// Payment results used as the "result" label of PaymentsTotal.
const (
	ResultPaid      = "paid"
	ResultDeclined  = "declined"
	ResultCancelled = "cancelled"
	ResultFailed    = "failed"
	ResultTimeout   = "timeout"
)

// Metrics holds terminald's collectors. Use the methods to update them;
// the fields are exported for tests and for code that needs more.
type Metrics struct {
	// PaymentsTotal counts finished payments by provider and result.
	PaymentsTotal *prometheus.CounterVec
	// ProviderLatency observes provider request durations in seconds.
	ProviderLatency *prometheus.HistogramVec
	// PrinterState is 1 for the printer's current state, 0 for the
	// states it was in before.
	PrinterState *prometheus.GaugeVec
	// DisplayState is 1 for the display's current state, 0 otherwise.
	DisplayState *prometheus.GaugeVec
	// OutboxDepth is the number of entries waiting in the outbox.
	OutboxDepth prometheus.Gauge
	// InFlight is the number of payments currently in progress.
	InFlight prometheus.Gauge
	// ProviderUp is 1 when the provider's last probe succeeded, 0 when it failed
	// or none has answered yet.
	ProviderUp *prometheus.GaugeVec
	// ProviderLastSuccess is the Unix time in seconds of the provider's last
	// successful probe; absent until one succeeds.
	ProviderLastSuccess *prometheus.GaugeVec

	mu      sync.Mutex
	printer string
	display string
}

// LatencyBuckets are the provider latency histogram buckets in seconds,
// from a fast LAN terminal to a slow card-holder-facing API.
var LatencyBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// New returns a fresh registry holding terminald's metrics together with
// the Go runtime and process collectors.
func New() (*prometheus.Registry, *Metrics) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m, err := Register(reg)
	if err != nil {
		// Cannot happen: the registry is new and the names are fixed.
		panic(fmt.Sprintf("metrics: register on a new registry: %v", err))
	}
	return reg, m
}

// Register creates terminald's metrics and registers them on reg.
func Register(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		PaymentsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "payments_total",
			Help:      "Finished payments by provider and result (paid, declined, cancelled, failed, timeout).",
		}, []string{"provider", "result"}),
		ProviderLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace,
			Name:      "provider_request_duration_seconds",
			Help:      "Duration of requests to payment providers and terminals.",
			Buckets:   LatencyBuckets,
		}, []string{"provider"}),
		PrinterState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace,
			Name:      "printer_state",
			Help:      "1 for the receipt printer's current state (ok, paper_low, paper_out, cover_open, offline, error).",
		}, []string{"state"}),
		DisplayState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace,
			Name:      "display_state",
			Help:      "1 for the customer display's current state (ok, off, error).",
		}, []string{"state"}),
		OutboxDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace,
			Name:      "outbox_depth",
			Help:      "Entries waiting in the outbox for delivery.",
		}),
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace,
			Name:      "payments_in_flight",
			Help:      "Payments started and not yet finished.",
		}),
		ProviderUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace,
			Name:      "provider_up",
			Help:      "1 when the payment provider answered its last probe, 0 when it did not or was not probed yet.",
		}, []string{"provider"}),
		ProviderLastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace,
			Name:      "provider_last_success_timestamp_seconds",
			Help:      "Unix time of the payment provider's last successful probe.",
		}, []string{"provider"}),
	}
	for _, c := range []prometheus.Collector{m.PaymentsTotal, m.ProviderLatency, m.PrinterState, m.DisplayState, m.OutboxDepth, m.InFlight, m.ProviderUp, m.ProviderLastSuccess} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: register: %w", err)
		}
	}
	return m, nil
}

// Payment counts one finished payment.
func (m *Metrics) Payment(provider, result string) {
	m.PaymentsTotal.WithLabelValues(provider, result).Inc()
}

// ProviderRequest records how long one request to provider took.
func (m *Metrics) ProviderRequest(provider string, d time.Duration) {
	m.ProviderLatency.WithLabelValues(provider).Observe(d.Seconds())
}

// SetProvider records a provider's probe result: up or not, and the time of its last
// success (zero: none yet, the timestamp is left out).
func (m *Metrics) SetProvider(provider string, up bool, lastSuccess time.Time) {
	v := 0.0
	if up {
		v = 1
	}
	m.ProviderUp.WithLabelValues(provider).Set(v)
	if !lastSuccess.IsZero() {
		m.ProviderLastSuccess.WithLabelValues(provider).Set(float64(lastSuccess.UnixNano()) / 1e9)
	}
}

// SetPrinterState marks state as the printer's current state.
func (m *Metrics) SetPrinterState(state string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	setState(m.PrinterState, &m.printer, state)
}

// SetDisplayState marks state as the display's current state.
func (m *Metrics) SetDisplayState(state string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	setState(m.DisplayState, &m.display, state)
}

func setState(v *prometheus.GaugeVec, cur *string, state string) {
	if *cur != "" && *cur != state {
		v.WithLabelValues(*cur).Set(0)
	}
	v.WithLabelValues(state).Set(1)
	*cur = state
}

// Handler serves GET /metrics from g in the Prometheus text format and
// GET /healthz, which answers 200 "ok" when health returns nil (or is
// nil) and 503 "unhealthy: " followed by the error's text otherwise (for
// a health.Report, every reason the terminal is degraded). The health
// function must be quick; it runs on each request.
func Handler(g prometheus.Gatherer, health func() error) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if health != nil {
			if err := health(); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprintf(w, "unhealthy: %v\n", err)
				return
			}
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}
