package main

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/hw/keypad"
)

type sinkLog []string

func (s *sinkLog) Key(k flow.Key)   { *s = append(*s, fmt.Sprintf("key %d", k)) }
func (s *sinkLog) Scan(code string) { *s = append(*s, "scan "+code) }
func (s *sinkLog) ScanFailed()      { *s = append(*s, "scan failed") }

// A dropped scan reaches the engine as ScanFailed (the cashier sees "Scan again"), never
// as a key or a code.
func TestDeliverInputEvents(t *testing.T) {
	var got sinkLog
	deliver(&got, keypad.Event{Key: keypad.Key('5')})
	deliver(&got, keypad.Event{Code: "WALLET-1"})
	deliver(&got, keypad.Event{Err: &keypad.ScanError{Err: keypad.ErrUnknownKey}})
	want := sinkLog{fmt.Sprintf("key %d", flow.Key('5')), "scan WALLET-1", "scan failed"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("delivered %q, want %q", got, want)
	}
}
