package buzzer

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// levels is a fake pin that records every level written.
type levels struct {
	gpiotest.Pin
	mu  sync.Mutex
	got []gpio.Level
}

func (p *levels) Out(l gpio.Level) error {
	p.mu.Lock()
	p.got = append(p.got, l)
	p.mu.Unlock()
	return p.Pin.Out(l)
}

func (p *levels) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, l := range p.got {
		if l {
			b.WriteByte('H')
		} else {
			b.WriteByte('L')
		}
	}
	return b.String()
}

func TestGPIOBeepsAndEndsLow(t *testing.T) {
	pin := &levels{Pin: gpiotest.Pin{N: "GPIO17"}}
	b := &GPIO{Pin: pin, Beeps: 3, Length: time.Millisecond}
	if err := b.Beep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := pin.String(); got != "HLHLHLL" {
		t.Fatalf("levels %s, want three beeps and the pin left low", got)
	}
	// A beep cut short by its context leaves the buzzer silent.
	pin.got = nil
	b.Length = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Beep(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Beep = %v, want context.Canceled", err)
	}
	if got := pin.String(); got != "HL" || pin.Pin.L != gpio.Low {
		t.Fatalf("levels %s after a cancelled beep, want the pin back low", got)
	}
}

type fakePrinter struct{ times, units int }

func (f *fakePrinter) Beep(_ context.Context, times, units int) error {
	f.times, f.units = times, units
	return nil
}

func TestPrinterBuzzerUnits(t *testing.T) {
	f := &fakePrinter{}
	s := DefaultSection()
	s.Driver, s.Beeps, s.Length = "printer", 3, 260*time.Millisecond
	b, err := Open(s, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Beep(context.Background()); err != nil || f.times != 3 || f.units != 5 {
		t.Fatalf("printer beep %d × %d units (%v), want 3 × 5 (260 ms rounds to 250)", f.times, f.units, err)
	}
	if _, err := Open(s, struct{}{}); err == nil {
		t.Fatal("printer buzzer without a printer accepted")
	}
	if b, err := Open(DefaultSection(), nil); b != nil || err != nil {
		t.Fatalf("default section opened %v, %v; want no buzzer", b, err)
	}
}

func TestValidate(t *testing.T) {
	if err := DefaultSection().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	s := Section{Driver: "gpio", Beeps: 10, Length: time.Second}
	err := s.Validate()
	for _, want := range []string{"buzzer.pin", "buzzer.beeps: 10", "buzzer.length: \"1s\""} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want it to name %s", err, want)
		}
	}
	if err := (Section{Driver: "horn", Beeps: 1, Length: 50 * time.Millisecond}).Validate(); err == nil || !strings.Contains(err.Error(), "buzzer.driver") {
		t.Errorf("unknown driver: %v", err)
	}
}
