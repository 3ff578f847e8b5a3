//go:build sim

package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/terminald/terminald/screen"
)

// A QR the simulated customer has paid is not paid again when the terminal shows it once
// more: neither by the same run (the QR comes back after another screen) nor by the next
// simulator run on the same state (the payment resumed after a restart, which the crash
// soak does: a second payment there was recorded "Overpaid"). Another QR is paid.
func TestCustomerPaysAQROnce(t *testing.T) {
	r, err := screen.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	qr := func(payload string) shown {
		s := screen.Screen{Kind: screen.QR, Title: "Pay", QR: payload}
		return shown{s, r.Render(s, 240, 320, time.Now())}
	}
	other := shown{s: screen.Screen{Kind: screen.Wait}}
	// The customer says at debug level when it passes a QR by; the test waits for that.
	skipped := make(chan string, 10)
	log := slog.New(skipLog{slog.NewTextHandler(io.Discard, nil), skipped})
	file := filepath.Join(t.TempDir(), "customer-paid")

	var mu sync.Mutex
	var paid []string
	payments := make(chan string, 10)
	sb := &simProvider{pay: func(_ context.Context, p string) error {
		mu.Lock()
		paid = append(paid, p)
		mu.Unlock()
		payments <- p
		return nil
	}}
	wait := func(ch chan string, want, what string) {
		t.Helper()
		select {
		case got := <-ch:
			if got != want {
				t.Fatalf("customer %s %q, want %q", what, got, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("customer never %s %q", what, want)
		}
	}
	// run plays one simulator process: each frame it is shown and what the customer
	// does about it (pays, passes by, or nothing: ""), then it stops.
	type step struct {
		f          shown
		pays, skip string
	}
	run := func(steps ...step) {
		ctx, cancel := context.WithCancel(context.Background())
		ch := make(chan shown)
		done := make(chan struct{})
		go func() { defer close(done); customer(ctx, ch, 0, sb, nil, openPaidQRs(file, log), log) }()
		for _, s := range steps {
			ch <- s.f
			if s.pays != "" {
				wait(payments, s.pays, "paid")
				// The customer notes a payment in its file after the provider took it;
				// the next run reads the file.
				for deadline := time.Now().Add(20 * time.Second); !openPaidQRs(file, log).has(s.pays); time.Sleep(time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("customer never noted %q as paid", s.pays)
					}
				}
			}
			if s.skip != "" {
				wait(skipped, s.skip, "passed by")
			}
		}
		cancel()
		<-done
	}

	a := "https://bank.example/pay/A-1"
	b := "bitcoin:bc1qexampleaddress?amount=0.001"
	run(step{f: qr(a), pays: a})
	// Shown again after another screen, in the same run and in the next.
	run(step{f: qr(a), skip: a}, step{f: other}, step{f: qr(a), skip: a}, step{f: qr(b), pays: b})
	run(step{f: qr(a), skip: a}, step{f: qr(b), skip: b})
	mu.Lock()
	defer mu.Unlock()
	if len(paid) != 2 {
		t.Fatalf("customer paid %q; want each QR once", paid)
	}
}

// skipLog passes every record on and sends the payload of each "paid already" one.
type skipLog struct {
	slog.Handler
	skipped chan<- string
}

func (h skipLog) Enabled(context.Context, slog.Level) bool { return true }

func (h skipLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "customer: this QR is paid already" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "payload" {
				h.skipped <- a.Value.String()
			}
			return true
		})
	}
	return h.Handler.Handle(ctx, r)
}
