package sandbox

import "testing"

// The sandbox reads amounts and payment URIs from outside (query parameters, the
// /sandbox/pay endpoint, QR payloads): they must never panic, and what parses must
// write back as the same value in both shapes.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"0.00701726", "0.0000000", "0.0106904", "1", "1.", "-1", "1e5", "92233720368.54775807", " 0.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAmount(s)
		if err != nil {
			return
		}
		for _, text := range []string{a.String(), a.live(), a.trim(2)} {
			if b, err := ParseAmount(text); err != nil || b != a {
				t.Fatalf("%q → %d writes %q → %d, %v", s, a, text, b, err)
			}
		}
	})
}

func FuzzParseURI(f *testing.F) {
	for _, s := range []string{"bitcoin:sb1q0123456789abcdef?amount=0.0001", "sb1q0123456789abcdef", "bitcoin:?amount=1", "x:y?%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		addr, amt, err := parseURI(s)
		if err == nil && (!validAddress(addr) || amt < 0) {
			t.Fatalf("%q parsed to %q, %d", s, addr, amt)
		}
	})
}
