package metrics_test

import (
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"time"

	"github.com/terminald/terminald/metrics"
)

// The daemon updates its metrics as payments run and serves them next to
// a health check.
func Example() {
	reg, m := metrics.New()
	m.InFlight.Inc()
	m.ProviderRequest("zvt", 1200*time.Millisecond)
	m.Payment("zvt", metrics.ResultPaid)
	m.InFlight.Dec()
	m.SetPrinterState("paper_out")

	printerErr := errors.New("printer: paper out")
	h := metrics.Handler(reg, func() error { return printerErr })

	// In the daemon: http.Server{Addr: "127.0.0.1:9464", Handler: h}.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	body, _ := io.ReadAll(rec.Body)
	fmt.Print(rec.Code, " ", string(body))
	// Output: 503 unhealthy: printer: paper out
}
