// Package golden compares printer byte streams with hex golden files in tests.
package golden

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Check compares got with testdata/golden/name.hex (hex, 16 bytes a line), or rewrites
// the file when update is set.
func Check(t testing.TB, name string, got []byte, update bool) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".hex")
	var sb strings.Builder
	for i := 0; i < len(got); i += 16 {
		sb.WriteString(hex.EncodeToString(got[i:min(i+16, len(got))]))
		sb.WriteByte('\n')
	}
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != sb.String() {
		t.Errorf("%s: bytes differ from golden file (run go test -update after checking)\ngot:\n%swant:\n%s", name, sb.String(), want)
	}
}
