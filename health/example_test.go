package health_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/terminald/terminald/health"
)

type down struct{}

func (down) Ping(context.Context) error { return errors.New("dial tcp: connection refused") }

// A terminal whose only provider is down and that has no display is degraded, with
// every reason in the error /healthz sends.
func Example() {
	probed := make(chan health.Provider, 1)
	p := health.New(map[string]health.Pinger{"acountpay": down{}}, health.Config{
		OnProbe: func(r health.Provider) {
			select {
			case probed <- r:
			default:
			}
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx) // probes at once, then every minute (backing off while down)
	<-probed
	r := health.Assess(p.Providers(), health.DeviceMissing, health.DeviceMissing)
	fmt.Println(r.Err())
	// Output:
	// degraded: no payment provider reachable (acountpay: down: dial tcp: connection refused); no working display (display: missing)
}
