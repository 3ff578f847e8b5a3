package flow

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/hw/display"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

// BenchmarkRecovery measures start-up (recovery until Ready) with 10 payments in flight
// and a growing history of finished ones: the cost must follow the in-flight work only.
func BenchmarkRecovery(b *testing.B) {
	for _, history := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("history=%d/inflight=10", history), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "state.db")
			st, err := store.Open(path, &store.Options{NoSync: true})
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now().Add(-48 * time.Hour)
			for i := 0; i < history; i += 10_000 {
				err := st.Update(func(tx *store.Tx) error {
					for j := i; j < min(i+10_000, history); j++ {
						p := &store.Payment{ID: fmt.Sprintf("T1-%07d-aaaaaa", j), Provider: "script", Amount: money.New(int64(100+j), "EUR"),
							State: store.StatePaid, Receipt: uint64(j%9999 + 1), CreatedAt: t0, UpdatedAt: t0, SettledAt: t0}
						if err := tx.PutPayment(p); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			st.Update(func(tx *store.Tx) error {
				for j := 0; j < 10; j++ {
					tx.PutPayment(&store.Payment{ID: fmt.Sprintf("T1-%07d-bbbbbb", history+j), Provider: "script", Amount: money.New(500, "EUR"),
						State: store.StateAwaiting, QR: "q", CreatedAt: time.Now(), UpdatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)})
				}
				return nil
			})
			st.Close()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				st, err := store.Open(path, &store.Options{NoSync: true})
				if err != nil {
					b.Fatal(err)
				}
				prov := &script{t: &testing.T{}, st: st}
				e, err := New(testConfig(), st, []driver.Provider{prov}, &screens{}, &printer{})
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error)
				go func() { done <- e.Run(ctx) }()
				<-e.Ready()
				cancel()
				<-done
				st.Close()
			}
		})
	}
}

// qrWatch is a display that reports when a QR screen has been drawn into the framebuffer.
type qrWatch struct {
	*display.Screen
	qr chan struct{}
}

func (d *qrWatch) Show(s screen.Screen) error {
	err := d.Screen.Show(s)
	if s.Kind == screen.QR {
		select {
		case d.qr <- struct{}{}:
		default:
		}
	}
	return err
}

// BenchmarkAmountToQR measures the time from the OK key of a keyed amount to the QR
// drawn in the framebuffer, with a provider that answers at once (no network round trip).
func BenchmarkAmountToQR(b *testing.B) {
	st, err := store.Open(filepath.Join(b.TempDir(), "state.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	r, err := screen.NewRenderer()
	if err != nil {
		b.Fatal(err)
	}
	disp := &qrWatch{Screen: display.New(display.NewMemory(240, 320), r, nil), qr: make(chan struct{}, 1)}
	prov := &script{t: &testing.T{}, st: st}
	prov.cancelFn = func(*driver.Payment) (driver.Update, error) {
		return driver.Update{Remote: driver.RemoteCancelled}, nil
	}
	cfg := testConfig()
	cfg.ResultHold = time.Millisecond
	e, err := New(cfg, st, []driver.Provider{prov}, disp, &printer{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.Run(ctx)
	<-e.Ready()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for _, k := range "1234" {
			e.Key(Key(k))
		}
		e.Healthy(ctx)
		b.StartTimer()
		e.Key(KeyOK)
		<-disp.qr
		b.StopTimer()
		e.Key(KeyCancel)
		for {
			idle, _ := e.Idle(ctx)
			if idle {
				break
			}
			time.Sleep(time.Millisecond)
		}
		b.StartTimer()
	}
}
