//go:build race

package display

// raceEnabled is true under the race detector, which slows the equivalence
// tests (diffequiv_test.go) tenfold: they check fewer frames then.
const raceEnabled = true
