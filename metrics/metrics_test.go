package metrics

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func get(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestScrape(t *testing.T) {
	reg, m := New()
	m.Payment("zvt", ResultPaid)
	m.Payment("zvt", ResultPaid)
	m.Payment("acountpay", ResultDeclined)
	m.ProviderRequest("cryptogw", 300*time.Millisecond)
	m.ProviderRequest("cryptogw", 2*time.Second)
	m.SetPrinterState("ok")
	m.SetPrinterState("paper_out")
	m.SetDisplayState("ok")
	m.OutboxDepth.Set(3)
	m.InFlight.Inc()

	srv := httptest.NewServer(Handler(reg, nil))
	defer srv.Close()
	code, body := get(t, srv, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics status %d", code)
	}
	for _, want := range []string{
		`terminald_payments_total{provider="zvt",result="paid"} 2`,
		`terminald_payments_total{provider="acountpay",result="declined"} 1`,
		`terminald_provider_request_duration_seconds_count{provider="cryptogw"} 2`,
		`terminald_provider_request_duration_seconds_bucket{provider="cryptogw",le="0.5"} 1`,
		`terminald_provider_request_duration_seconds_bucket{provider="cryptogw",le="2.5"} 2`,
		`terminald_printer_state{state="paper_out"} 1`,
		`terminald_printer_state{state="ok"} 0`,
		`terminald_display_state{state="ok"} 1`,
		`terminald_outbox_depth 3`,
		`terminald_payments_in_flight 1`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

func TestNotGlobalRegistry(t *testing.T) {
	// Two daemons (or tests) in one process must not collide.
	_, m1 := New()
	_, m2 := New()
	m1.Payment("zvt", ResultPaid)
	if m1 == m2 {
		t.Fatal("New returned shared metrics")
	}
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), Namespace+"_") {
			t.Errorf("%s registered on the global default registry", mf.GetName())
		}
	}
	if _, err := Register(prometheus.NewRegistry()); err != nil {
		t.Errorf("Register on a fresh registry: %v", err)
	}
	reg := prometheus.NewRegistry()
	Register(reg)
	if _, err := Register(reg); err == nil {
		t.Error("registering twice on one registry was not reported")
	}
}

func TestHealthz(t *testing.T) {
	reg, _ := New()
	var healthErr error
	srv := httptest.NewServer(Handler(reg, func() error { return healthErr }))
	defer srv.Close()

	if code, body := get(t, srv, "/healthz"); code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Errorf("healthy: %d %q, want 200 ok", code, body)
	}
	healthErr = errors.New("printer offline")
	if code, body := get(t, srv, "/healthz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "printer offline") {
		t.Errorf("unhealthy: %d %q, want 503 naming the error", code, body)
	}
	if code, _ := get(t, srv, "/nope"); code != http.StatusNotFound {
		t.Errorf("/nope: %d, want 404", code)
	}
	resp, err := srv.Client().Post(srv.URL+"/healthz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz: %d, want 405", resp.StatusCode)
	}
}

func TestHealthzNil(t *testing.T) {
	reg, _ := New()
	srv := httptest.NewServer(Handler(reg, nil))
	defer srv.Close()
	if code, _ := get(t, srv, "/healthz"); code != http.StatusOK {
		t.Errorf("nil health: %d, want 200", code)
	}
}

func TestProviderProbeMetrics(t *testing.T) {
	reg, m := New()
	m.SetProvider("accrue", false, time.Time{})
	m.SetProvider("acountpay", true, time.Unix(1764500000, 500_000_000))
	m.SetProvider("acountpay", false, time.Unix(1764500000, 500_000_000))
	srv := httptest.NewServer(Handler(reg, nil))
	defer srv.Close()
	_, body := get(t, srv, "/metrics")
	for _, want := range []string{
		`terminald_provider_up{provider="accrue"} 0`,
		`terminald_provider_up{provider="acountpay"} 0`,
		`terminald_provider_last_success_timestamp_seconds{provider="acountpay"} 1.7645000005e+09`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(body, `terminald_provider_last_success_timestamp_seconds{provider="accrue"}`) {
		t.Error("a provider never reached has a last-success time")
	}
}
