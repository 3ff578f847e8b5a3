package sandbox

import "testing"

func TestLoopbackURL(t *testing.T) {
	for u, want := range map[string]bool{"http://192.0.2.1/x": false, "http://example.com/x": false,
		"http://127.0.0.1:8/x": true, "http://[::1]:8/x": true, "http://localhost:9/": true, "::bad": false} {
		if got := loopbackURL(u); got != want {
			t.Errorf("loopbackURL(%q) = %v, want %v", u, got, want)
		}
	}
}
