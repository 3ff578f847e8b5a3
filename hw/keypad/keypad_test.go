package keypad

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
)

type inputFunc func(ctx context.Context, handle func(Event)) error

func (f inputFunc) Run(ctx context.Context, handle func(Event)) error { return f(ctx, handle) }

func TestRunAllMergesInputs(t *testing.T) {
	var got []string // appended without a lock: RunAll serialises handle
	err := RunAll(context.Background(), func(e Event) { got = append(got, keysOf([]Event{e})) },
		TerminalInput{strings.NewReader("12\r")},
		TerminalInput{strings.NewReader("scan:abc\n")},
	)
	if err != nil {
		t.Fatalf("RunAll after both inputs ended: %v", err)
	}
	sort.Strings(got)
	if s := strings.Join(got, " "); s != "1 2 OK code:abc" {
		t.Errorf("events %q", s)
	}
}

func TestRunAllStopsOnFailure(t *testing.T) {
	boom := errors.New("gpio broken")
	blocked := inputFunc(func(ctx context.Context, _ func(Event)) error { <-ctx.Done(); return ctx.Err() })
	failing := inputFunc(func(context.Context, func(Event)) error { return boom })
	if err := RunAll(context.Background(), func(Event) {}, blocked, failing); !errors.Is(err, boom) {
		t.Errorf("RunAll = %v, want the failing input's error", err)
	}
}

func TestEventStringHidesCode(t *testing.T) {
	if s := (Event{Code: "SECRET-TOKEN"}).String(); strings.Contains(s, "SECRET") {
		t.Errorf("Event.String leaks the scanned code: %q", s)
	}
	if s := (Event{Key: KeyOK}).String(); s != "key OK" {
		t.Errorf("Event.String = %q", s)
	}
	if Key('x').Valid() || !KeyMenu.Valid() {
		t.Error("Key.Valid wrong")
	}
}
