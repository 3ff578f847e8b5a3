package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The import graph is held by this test, not by discipline (like tailscale's
// deps_test.go): what the production daemon links, and which layers may import which.

const module = "github.com/terminald/terminald/"

// deps lists the packages pkgs import, directly or not, for linux/arm64 (the terminal
// boards) with the given build tags.
func deps(t *testing.T, tags string, pkgs ...string) []string {
	t.Helper()
	args := append([]string{"list", "-deps", "-tags", tags}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	return strings.Fields(string(out))
}

// simOnly reports why a package must stay out of the production daemon, or "".
func simOnly(pkg string) string {
	switch {
	case strings.HasSuffix(pkg, "/sandbox") || strings.Contains(pkg, "/sandbox/"):
		return "a provider sandbox"
	case pkg == module+"hw/display/emulator":
		return "the panel emulator"
	case pkg == module+"hw/printer/escposdoc":
		return "the ESC/POS decoder and renderer"
	case pkg == module+"internal/qrread", strings.HasPrefix(pkg, "github.com/makiuchi-d/gozxing"):
		return "a QR decoder"
	}
	return ""
}

func TestProductionDaemonLinksNoSimulator(t *testing.T) {
	for _, pkg := range deps(t, "", ".") {
		if why := simOnly(pkg); why != "" {
			t.Errorf("the production daemon links %s (%s); only the -tags sim build may", pkg, why)
		}
	}
	// The check sees what it guards against: the simulator build does link them.
	found := map[string]bool{}
	for _, pkg := range deps(t, "sim", ".") {
		if why := simOnly(pkg); why != "" {
			found[why] = true
		}
	}
	for _, why := range []string{"a provider sandbox", "the panel emulator", "the ESC/POS decoder and renderer", "a QR decoder"} {
		if !found[why] {
			t.Errorf("the -tags sim build does not link %s: is this test still looking at the right packages?", why)
		}
	}
}

// reaches reports the packages of deps that are in the module under one of prefixes.
func reaches(deps []string, prefixes ...string) []string {
	var out []string
	for _, d := range deps {
		for _, p := range prefixes {
			if strings.HasPrefix(d, module+p) {
				out = append(out, d)
			}
		}
	}
	return out
}

func TestLayers(t *testing.T) {
	for _, tc := range []struct {
		what      string
		pkgs      []string
		forbidden []string
	}{
		{"the payment engine (flow) knows hardware and providers through its interfaces only", []string{module + "flow"}, []string{"hw/", "providers/"}},
		{"hardware drivers do not know the payment engine", []string{module + "hw/..."}, []string{"flow"}},
		{"providers know the engine only through package driver", []string{module + "providers/..."}, []string{"flow", "store", "hw/", "ecr/"}},
		{"the driver interface stands alone", []string{module + "driver"}, []string{"flow", "store", "providers/", "hw/"}},
	} {
		for _, tags := range []string{"", "sim"} {
			if bad := reaches(deps(t, tags, tc.pkgs...), tc.forbidden...); len(bad) > 0 {
				t.Errorf("%s (tags %q): %v reaches %v", tc.what, tags, tc.pkgs, bad)
			}
		}
	}
}
