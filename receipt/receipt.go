// Package receipt holds the content of printed slips, independent of the printer language.
package receipt

// Kind names a printed document.
type Kind string

// Printed documents.
const (
	Sale        Kind = "sale"        // paid payment
	Slip        Kind = "slip"        // failed, expired or cancelled payment
	LatePaid    Kind = "late-paid"   // paid after it was cancelled or expired locally
	Unconfirmed Kind = "unconfirmed" // paid, but the register never acknowledged it
	Underpaid   Kind = "underpaid"   // underpayment accepted by the cashier
	Refund      Kind = "refund"      // refund
	EndOfDay    Kind = "end-of-day"  // totals report
	XReport     Kind = "x-report"    // interim totals report: the day so far, not closed
)

// Align is the horizontal alignment of a line.
type Align uint8

// Alignments.
const (
	Left Align = iota
	Center
	Right
)

// Line is one printed line. When Right is set, Text is printed left and Right flush right
// on the same line (label/value pairs).
type Line struct {
	Text   string
	Right  string
	Align  Align
	Bold   bool
	Double bool // double width and height
}

// Receipt is a document to print.
type Receipt struct {
	Kind   Kind
	Number uint64 // receipt number
	Lines  []Line
	QR     string // optional QR code payload printed after the lines (the provider reference)
	Copy   string // e.g. "CUSTOMER COPY"; empty for none
	Cut    bool   // cut the paper after it
}
