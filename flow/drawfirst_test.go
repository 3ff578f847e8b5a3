package flow

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

// heldQR is a display that holds the first QR screen it is given until release is
// closed, telling drawn when it has it: the engine is then between drawing the QR and
// whatever follows.
type heldQR struct {
	screens
	drawn, release chan struct{}
	held           bool
}

func (d *heldQR) Show(s screen.Screen) error {
	d.screens.Show(s)
	d.mu.Lock()
	first := s.Kind == screen.QR && !d.held
	d.held = d.held || first
	d.mu.Unlock()
	if first {
		close(d.drawn)
		<-d.release
	}
	return nil
}

// The QR of a new payment is drawn before the provider's answer is committed (one fsync
// fewer between OK and the QR, issue 16). A crash in that window leaves the payment as
// `creating` on disk, with its reference: at the next start recovery asks the provider
// by that reference, gets the same payment, shows its QR again and never creates it a
// second time.
func TestQRDrawnBeforeAnswerCommitRecovers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	st, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	prov := &script{t: t, st: st}
	disp := &heldQR{drawn: make(chan struct{}), release: make(chan struct{})}
	e, err := New(testConfig(), st, []driver.Provider{prov}, disp, &printer{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	<-e.Ready()
	for _, k := range "4321" {
		e.Key(Key(k))
	}
	e.Key(KeyOK)
	select {
	case <-disp.drawn:
	case <-time.After(20 * time.Second):
		t.Fatal("no QR drawn")
	}
	var onDisk *store.Payment
	st.View(func(tx *store.Tx) error {
		return tx.Payments(func(p *store.Payment) bool { onDisk = p; return false })
	})
	if onDisk == nil || onDisk.State != store.StateCreating || onDisk.ProviderID != "" {
		t.Fatalf("while the QR is drawn the disk has %+v, want the create intent only (creating, no provider id)", onDisk)
	}
	// The crash: the file as it is now (every commit so far is complete; the answer's
	// is not made yet) is what the next start finds.
	crashed := filepath.Join(dir, "crashed.db")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(crashed, b, 0o600); err != nil {
		t.Fatal(err)
	}
	close(disp.release)
	cancel()
	<-done
	st.Close()

	// The customer may have scanned the QR in that window. Either way the payment ends as
	// one interrupted during its create does (issue 17's restart rule): paid at the
	// provider, it is kept and printed; still open, it is released there.
	for _, paid := range []bool{false, true} {
		b, err := os.ReadFile(crashed)
		if err != nil {
			t.Fatal(err)
		}
		run := filepath.Join(t.TempDir(), "state.db")
		if err := os.WriteFile(run, b, 0o600); err != nil {
			t.Fatal(err)
		}
		r2 := newRig(t, run, testConfig(), nil)
		id := onDisk.ID
		var byID []string
		r2.prov.checkFn = func(p *driver.Payment) (driver.Update, error) {
			r2.prov.mu.Lock()
			byID = append(byID, p.ProviderID)
			r2.prov.mu.Unlock()
			// The provider finds the payment by the reference it was created with.
			u := driver.Update{Remote: driver.RemotePending, ProviderID: "X" + p.ID, QR: "https://pay.example/" + p.ID}
			if paid {
				u.Remote = driver.RemotePaid
			}
			return u, nil
		}
		r2.prov.cancelFn = func(*driver.Payment) (driver.Update, error) {
			return driver.Update{Remote: driver.RemoteCancelled}, nil
		}
		r2.run()
		want := store.StateCancelled
		if paid {
			want = store.StatePaid
		}
		r2.waitFor(string(want), r2.state(want))
		r2.prov.mu.Lock()
		first := byID[0]
		r2.prov.mu.Unlock()
		if first != "" {
			t.Fatalf("recovery asked the provider by provider id %q, which the disk never had", first)
		}
		if p := r2.payment(); p.ID != id || p.ProviderID != "X"+id {
			t.Fatalf("after recovery the payment is %s with provider id %q, want %s with X%s", p.ID, p.ProviderID, id, id)
		}
		if n := r2.prov.count("start"); n != 0 {
			t.Fatalf("paid=%v: the payment was created %d more times after the crash, want 0", paid, n)
		}
		if paid && r2.prov.count("cancel") != 0 {
			t.Fatal("a payment the customer paid in the window was cancelled")
		}
		r2.waitFor("one slip", func() bool { return len(r2.prn.printed()) == 1 })
		r2.stop()
	}
}
