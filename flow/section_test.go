package flow

import (
	"strings"
	"testing"
	"time"
)

// The engine's [terminal] keys report every bad value at once, each naming its key.
func TestSectionValidateNamesEveryKey(t *testing.T) {
	s := DefaultSection()
	s.Currency, s.ID, s.Language, s.TimeZone, s.PromptTimeout, s.WatchWindow = "XXX", "a b", "xx", "Mars/Base", -time.Second, 0
	err := s.Validate()
	if err == nil {
		t.Fatal("Validate accepted bad values")
	}
	for _, want := range []string{`terminal.currency: "XXX"`, `terminal.id: "a b"`, `terminal.language: "xx"`,
		`terminal.timezone: "Mars/Base"`, `terminal.prompt_timeout: "-1s"`, `terminal.watch_window: "0s"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	s = DefaultSection()
	s.MinAmount, s.MaxAmount = "5.00", "1.00"
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "terminal.min_amount/max_amount") {
		t.Errorf("min above max: %v", err)
	}
	if err := DefaultSection().Validate(); err != nil {
		t.Errorf("defaults refused: %v", err)
	}
}

// Config gives New the section's values: minor units, the canonical currency code, the
// shop's locale.
func TestSectionConfig(t *testing.T) {
	s := DefaultSection()
	s.Currency, s.MinAmount, s.MaxAmount, s.Language, s.PromptTimeout = "dkk", "1.00", "500", "da", 30*time.Second
	c, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	if c.Currency != "DKK" || c.MinAmount != 100 || c.MaxAmount != 50000 || c.PromptTimeout != 30*time.Second || c.TerminalID != "T1" {
		t.Errorf("config %+v", c)
	}
	if c.Locale == nil || c.Locale.Language() != "da" {
		t.Errorf("locale %v, want da", c.Locale)
	}
}
