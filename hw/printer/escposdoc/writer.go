package escposdoc

import (
	"fmt"
	"io"
)

// TextWriter returns a writer that decodes each Write as one complete ESC/POS job and
// writes its text rendering (Document.TextWidth(columns), QR codes in images read back)
// to w. A job that does not decode is an error of that Write.
func TextWriter(w io.Writer, columns int) io.Writer { return &textWriter{w: w, columns: columns} }

type textWriter struct {
	w       io.Writer
	columns int
}

func (t *textWriter) Write(data []byte) (int, error) {
	doc, err := Decode(data)
	if err != nil {
		return 0, fmt.Errorf("escposdoc: %w", err)
	}
	doc.ScanImages()
	if _, err := io.WriteString(t.w, doc.TextWidth(t.columns)); err != nil {
		return 0, err
	}
	return len(data), nil
}
