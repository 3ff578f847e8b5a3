package gpiopin

import (
	"strings"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

func TestUnknownNameListsThePinsThatExist(t *testing.T) {
	pins := []gpio.PinIO{&gpiotest.Pin{N: "GPIO6"}, &gpiotest.Pin{N: "GPIO5"}, &gpiotest.Pin{N: "GPIO13"}}
	lookup := func(n string) gpio.PinIO {
		for _, p := range pins {
			if p.Name() == n {
				return p
			}
		}
		return nil
	}
	all := func() []gpio.PinIO { return pins }

	if p, err := byName("keypad.rows[1]", "GPIO5", lookup, all); err != nil || p.Name() != "GPIO5" {
		t.Fatalf("existing pin: %v, %v", p, err)
	}
	_, err := byName("keypad.rows[2]", "GPIO55", lookup, all)
	if err == nil {
		t.Fatal("unknown pin accepted")
	}
	for _, want := range []string{"keypad.rows[2]", `"GPIO55"`, "GPIO13, GPIO5, GPIO6"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	_, err = byName("display D/C", "GPIO25", lookup, func() []gpio.PinIO { return nil })
	if err == nil || !strings.Contains(err.Error(), "no GPIO pins registered") {
		t.Errorf("board without GPIO: %v", err)
	}
}
