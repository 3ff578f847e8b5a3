// Package gpiopin looks GPIO pins up by name (periph's gpioreg) with an error a
// technician can act on: a name that does not exist on the board is refused with the
// names that do exist.
package gpiopin

import (
	"fmt"
	"sort"
	"strings"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
)

// ByName returns the pin called name in periph's registry (host.Init must have run).
// what names the setting for the error, e.g. "keypad.rows[2]" or "display D/C". An
// unknown name is an error listing the pins this board has.
func ByName(what, name string) (gpio.PinIO, error) {
	return byName(what, name, gpioreg.ByName, gpioreg.All)
}

func byName(what, name string, lookup func(string) gpio.PinIO, all func() []gpio.PinIO) (gpio.PinIO, error) {
	if p := lookup(name); p != nil {
		return p, nil
	}
	var names []string
	for _, p := range all() {
		names = append(names, p.Name())
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no GPIO named %q: this board has no GPIO pins registered (is this the terminal hardware, and may the daemon use /dev/gpiochip*?)", what, name)
	}
	sort.Strings(names)
	return nil, fmt.Errorf("%s: no GPIO named %q on this board; it has %s", what, name, strings.Join(names, ", "))
}
