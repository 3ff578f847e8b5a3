package printer

import (
	"errors"
	"strings"
)

// Status is what the printer reported through DLE EOT real-time status requests.
type Status struct {
	Known        bool // the printer answered; all other fields are false when it did not
	Offline      bool // DLE EOT 1, bit 3
	CoverOpen    bool // DLE EOT 2, bit 2
	PaperOut     bool // DLE EOT 2 bit 5 (stopped by paper end) or DLE EOT 4 bits 5-6
	PaperNearEnd bool // DLE EOT 4, bits 2-3
	Error        bool // DLE EOT 2, bit 6 (cutter, head temperature, ...)
}

// Ready reports whether a job can be printed: the printer answered and reports no fault,
// or it never answers status requests (Known false) and is trusted. Paper near end is ready.
func (s Status) Ready() bool {
	return !s.Known || !(s.Offline || s.CoverOpen || s.PaperOut || s.Error)
}

// Text is a short description: "ok", "paper out", "cover open", "error", "offline",
// "paper near end" or "unknown" (the printer did not answer).
func (s Status) Text() string {
	switch {
	case !s.Known:
		return "unknown"
	case s.PaperOut:
		return "paper out"
	case s.CoverOpen:
		return "cover open"
	case s.Error:
		return "error"
	case s.Offline:
		return "offline"
	case s.PaperNearEnd:
		return "paper near end"
	}
	return "ok"
}

// String returns Text.
func (s Status) String() string { return s.Text() }

// ErrNotReady is matched (errors.Is) by every *NotReadyError.
var ErrNotReady = errors.New("printer: not ready")

// NotReadyError says why the printer refused a job or why a job may not have printed.
type NotReadyError struct {
	Status   Status
	AfterJob bool // the fault showed after the job was sent: it may be incomplete
}

// Error returns e.g. "printer: paper out".
func (e *NotReadyError) Error() string {
	var sb strings.Builder
	sb.WriteString("printer: ")
	sb.WriteString(e.Status.Text())
	if e.AfterJob {
		sb.WriteString(" after the job was sent; the receipt may be incomplete")
	}
	return sb.String()
}

// Is makes errors.Is(err, ErrNotReady) true.
func (e *NotReadyError) Is(target error) bool { return target == ErrNotReady }

// Status byte bits.
const (
	stOffline     = 0x08 // n=1
	stCoverOpen   = 0x04 // n=2
	stPaperStop   = 0x20 // n=2
	stError       = 0x40 // n=2
	stNearEnd     = 0x0c // n=4
	stPaperOut    = 0x60 // n=4
	stFixedMask   = 0x93 // bits 0, 1, 4, 7
	stFixedValues = 0x12 // bits 1 and 4 set, 0 and 7 clear
)

// isStatusByte reports whether b has the fixed bits of a DLE EOT reply; XON (0x11) and
// XOFF (0x13) do not.
func isStatusByte(b byte) bool { return b&stFixedMask == stFixedValues }
