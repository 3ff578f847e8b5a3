//go:build sim

package main

import "github.com/terminald/terminald/ecr/register"

// simECRConfig is the simulator's register link on addr: the [ecr] defaults.
func simECRConfig(addr, currency string) register.Config {
	s := register.DefaultSection()
	s.Listen = addr
	return s.Config(currency)
}
