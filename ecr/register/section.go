package register

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

// Section is the [ecr] section of terminald.toml: the toml tags are the keys,
// DefaultSection the values of keys left out, Validate the check, Config what Start
// takes. Password is a secret (package config also reads it from password_file or the
// systemd credential ecr_password).
type Section struct {
	Listen     string `toml:"listen"` // "tcp://0.0.0.0:20007", "serial:/dev/ttyUSB1"; "" = no register link
	Baud       int    `toml:"baud"`   // serial line speed
	Password   string `toml:"password" secret:"true"`
	TerminalID string `toml:"terminal_id"` // 8 digits (BMP 29)
}

// DefaultSection returns the [ecr] section before the file is read.
func DefaultSection() Section {
	return Section{Baud: 9600, Password: "000000", TerminalID: "12345678"}
}

// bauds are the serial speeds a ZVT register link runs at.
var bauds = []int{9600, 19200, 38400, 57600, 115200}

// Validate reports every bad value at once (errors.Join), each naming the ecr.KEY and
// the value (not the password's). A section without listen is not checked: the link is off.
func (s Section) Validate() error {
	if s.Listen == "" {
		return nil
	}
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	switch {
	case strings.HasPrefix(s.Listen, "tcp://"):
		if err := CheckListen(strings.TrimPrefix(s.Listen, "tcp://")); err != nil {
			bad("ecr.listen: %q: %v", s.Listen, err)
		}
	case strings.HasPrefix(s.Listen, "serial:"):
		if strings.TrimPrefix(s.Listen, "serial:") == "" {
			bad("ecr.listen: %q: name the serial device, e.g. serial:/dev/ttyUSB1", s.Listen)
		}
	default:
		bad("ecr.listen: %q: tcp://HOST:PORT or serial:/dev/ttyX", s.Listen)
	}
	if len(s.Password) != 6 || strings.Trim(s.Password, "0123456789") != "" {
		bad("ecr.password: 6 digits")
	}
	if len(s.TerminalID) != 8 || strings.Trim(s.TerminalID, "0123456789") != "" {
		bad("ecr.terminal_id: %q: 8 digits", s.TerminalID)
	}
	if !slices.Contains(bauds, s.Baud) {
		bad("ecr.baud: %d: 9600, 19200, 38400, 57600 or 115200", s.Baud)
	}
	return errors.Join(errs...)
}

// Config returns what Start takes for the section; currency is the terminal's
// (terminal.currency). The caller adds the logger and the state callbacks.
func (s Section) Config(currency string) Config {
	return Config{Addr: s.Listen, Password: s.Password, TerminalID: s.TerminalID, Currency: currency, Baud: s.Baud}
}

// CheckListen checks a HOST:PORT listen address; port 0 means any free port.
func CheckListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want HOST:PORT, e.g. 127.0.0.1:9120")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q: 0 to 65535", port)
	}
	if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, " /") {
		return fmt.Errorf("host %q is not an address or a name", host)
	}
	return nil
}
