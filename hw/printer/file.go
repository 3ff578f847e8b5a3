package printer

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/terminald/terminald/receipt"
)

// FilePrinter is a printer for simulators and tests: it writes each job's ESC/POS bytes
// to a writer, one Write per job. Its status is always ok. For a readable rendering,
// write to escposdoc.TextWriter as well (the daemon does not link that decoder).
type FilePrinter struct {
	mu     sync.Mutex
	w      io.Writer
	layout Layout
}

// NewFilePrinter returns a FilePrinter writing to w (nil: nowhere). Open a file with
// os.O_APPEND to keep earlier jobs.
func NewFilePrinter(w io.Writer, l Layout) *FilePrinter {
	return &FilePrinter{w: w, layout: l}
}

// Print writes r's ESC/POS bytes.
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
	if f.w != nil {
		if _, err := f.w.Write(data); err != nil {
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
