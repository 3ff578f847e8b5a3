//go:build sim

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/terminald/terminald/locale"
	"github.com/terminald/terminald/screen"
)

// terminald screens --out DIR draws the flow's screens in every language, one
// directory a language, every screen at every size.
func TestScreensCommandEveryLanguage(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"screens", "--out", dir}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var counts []int
	for _, lang := range locale.Languages() {
		files, _ := filepath.Glob(filepath.Join(dir, lang, "*.png"))
		counts = append(counts, len(files))
		for _, name := range []string{"qr-crypto", "refund-confirm", "x-report"} {
			for _, sz := range screen.Sizes {
				f := filepath.Join(dir, lang, name+"-"+itoa(sz[0])+"x"+itoa(sz[1])+".png")
				if st, err := os.Stat(f); err != nil || st.Size() == 0 {
					t.Errorf("%s: %v", f, err)
				}
			}
		}
	}
	if len(counts) < 3 || counts[0] == 0 || counts[0] != counts[1] || counts[1] != counts[2] {
		t.Fatalf("PNGs per language = %v, want the same non-zero number in each", counts)
	}
	if !strings.Contains(out.String(), "screens written to "+dir) {
		t.Errorf("output %q", out.String())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
