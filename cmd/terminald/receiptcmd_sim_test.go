//go:build sim

package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/terminald/terminald/hw/printer"
	"github.com/terminald/terminald/hw/printer/escpos"
	"github.com/terminald/terminald/receipt"
)

func TestReceiptRender(t *testing.T) {
	b, err := printer.Layout{CodePage: escpos.PC858}.Encode(receipt.Receipt{Number: 7, Cut: true, QR: "T1-000007", Lines: []receipt.Line{
		{Text: "Café Nørrebro", Align: receipt.Center, Bold: true},
		{Text: "BELØB", Right: "1.234,56 kr."},
		{Text: "BETRAG", Right: "12,50 €"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "receipt.bin")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runMain(t, "", "receipt", "render", file)
	if code != 0 || !strings.Contains(out, "Café Nørrebro") || !strings.Contains(out, "BELØB") || !strings.Contains(out, "1.234,56 kr.") ||
		!strings.Contains(out, "12,50 €") || !strings.Contains(out, "[QR T1-000007]") || !strings.Contains(out, "cut") {
		t.Fatalf("exit %d, stderr %q, text:\n%s", code, errs, out)
	}
	pngFile := filepath.Join(dir, "receipt.png")
	if _, errs, code := runMain(t, "", "receipt", "render", "--paper", "58", "--png", pngFile, file); code != 0 {
		t.Fatalf("--png: exit %d: %s", code, errs)
	}
	f, err := os.Open(pngFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil || img.Bounds().Dx() < 384 {
		t.Fatalf("PNG: %v, %v; want a 58 mm wide picture", img, err)
	}
	// Mistakes: one line each, exit 2 for usage, 1 for a file that is not ESC/POS.
	os.WriteFile(filepath.Join(dir, "bad.bin"), []byte{0x1d, 0x28}, 0o644)
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"receipt"}, 2},
		{[]string{"receipt", "render"}, 2},
		{[]string{"receipt", "render", "--paper", "76", file}, 2},
		{[]string{"receipt", "render", filepath.Join(dir, "missing.bin")}, 1},
		{[]string{"receipt", "render", filepath.Join(dir, "bad.bin")}, 1},
	} {
		_, errs, code := runMain(t, "", tc.args...)
		if code != tc.code || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.HasPrefix(errs, "terminald receipt: ") {
			t.Errorf("%v: exit %d, stderr %q; want %d and one line", tc.args, code, errs, tc.code)
		}
	}
}
