package register

import (
	"strings"
	"testing"
)

// A register link that is configured is checked key by key, all at once; one that is
// off is not checked.
func TestSectionValidate(t *testing.T) {
	s := DefaultSection()
	s.Password = "x"
	if err := s.Validate(); err != nil {
		t.Errorf("link off, yet refused: %v", err)
	}
	s = Section{Listen: "udp://x", Baud: 1200, Password: "12", TerminalID: "1"}
	err := s.Validate()
	if err == nil {
		t.Fatal("bad section accepted")
	}
	for _, want := range []string{`ecr.listen: "udp://x"`, "ecr.password: 6 digits", `ecr.terminal_id: "1"`, "ecr.baud: 1200"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), `"12"`) {
		t.Errorf("error %q shows the password", err)
	}
	s = DefaultSection()
	s.Listen = "tcp://127.0.0.1:20007"
	if err := s.Validate(); err != nil {
		t.Errorf("defaults with a listen address refused: %v", err)
	}
	if c := s.Config("DKK"); c.Addr != s.Listen || c.Currency != "DKK" || c.Baud != 9600 || c.TerminalID != "12345678" {
		t.Errorf("Config %+v", c)
	}
}
