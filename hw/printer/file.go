package printer

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/terminald/terminald/hw/printer/escpos"
	"github.com/terminald/terminald/receipt"
)

// FilePrinter is a printer for simulators and tests: it appends each job's ESC/POS bytes
// to one writer and a readable rendering to another. Its status is always ok.
type FilePrinter struct {
	mu     sync.Mutex
	raw    io.Writer
	text   io.Writer
	layout Layout
}

// NewFilePrinter returns a FilePrinter writing bytes to raw and text to text; either may
// be nil. Open raw with os.O_APPEND to keep earlier jobs.
func NewFilePrinter(raw, text io.Writer, l Layout) *FilePrinter {
	return &FilePrinter{raw: raw, text: text, layout: l}
}

// Print writes r's ESC/POS bytes and its plain-text rendering.
func (f *FilePrinter) Print(ctx context.Context, r receipt.Receipt) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := f.layout.Encode(r)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.raw != nil {
		if _, err := f.raw.Write(data); err != nil {
			return fmt.Errorf("printer: file: %w", err)
		}
	}
	if f.text != nil {
		doc, err := escpos.Decode(data)
		if err != nil {
			return fmt.Errorf("printer: file: %w", err)
		}
		doc.ScanImages()
		if _, err := io.WriteString(f.text, doc.TextWidth(f.layout.paper().Columns)); err != nil {
			return fmt.Errorf("printer: file: %w", err)
		}
	}
	return nil
}

// Status is always ok.
func (f *FilePrinter) Status(ctx context.Context) (Status, error) {
	return Status{Known: true}, ctx.Err()
}

var (
	_ Device = (*Printer)(nil)
	_ Device = (*FilePrinter)(nil)
)
