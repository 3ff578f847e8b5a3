package printer_test

import "github.com/terminald/terminald/serialport"

func serialportConfig(name string) serialport.Config {
	return serialport.Config{Name: name, Baud: 19200}
}
