package cpuclock_test

import (
	"fmt"

	"github.com/terminald/terminald/internal/cpuclock"
)

// A benchmark reports the CPU time of its timed part next to ns/op.
func ExampleNow() {
	before, ok := cpuclock.Now()
	sum := 0
	for i := 0; i < 1000; i++ {
		sum += i
	}
	after, _ := cpuclock.Now()
	fmt.Println(ok, sum, after >= before)
	// Output: true 499500 true
}
