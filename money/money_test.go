package money

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		cur  string
		want int64
		err  bool
	}{
		{"12.34", "EUR", 1234, false},
		{"12", "EUR", 1200, false},
		{"0.5", "DKK", 50, false},
		{".5", "DKK", 50, false},
		{"0012.30", "EUR", 1230, false},
		{"12.345", "EUR", 0, true},
		{"12.", "EUR", 0, true},
		{"-1", "EUR", 0, true},
		{"1e3", "EUR", 0, true},
		{"", "EUR", 0, true},
		{"149.99", "USD", 14999, false},
		{"100", "JPY", 100, false},
		{"1.5", "JPY", 0, true},
		{"1", "XXX", 0, true},
	} {
		got, err := Parse(tc.in, tc.cur)
		if (err != nil) != tc.err {
			t.Errorf("Parse(%q, %s) error = %v, want error %v", tc.in, tc.cur, err, tc.err)
			continue
		}
		if err == nil && got.Minor != tc.want {
			t.Errorf("Parse(%q, %s) = %d, want %d", tc.in, tc.cur, got.Minor, tc.want)
		}
	}
	if _, err := Parse("x", "EUR"); !errors.Is(err, ErrSyntax) {
		t.Errorf("Parse(x) error %v is not ErrSyntax", err)
	}
}

func TestFormatDecimal(t *testing.T) {
	for _, tc := range []struct {
		v    int64
		exp  int
		want string
	}{
		{1234, 2, "12.34"}, {5, 2, "0.05"}, {0, 2, "0.00"}, {-5, 2, "-0.05"},
		{701726, 8, "0.00701726"}, {7, 0, "7"},
	} {
		if got := FormatDecimal(tc.v, tc.exp); got != tc.want {
			t.Errorf("FormatDecimal(%d, %d) = %q, want %q", tc.v, tc.exp, got, tc.want)
		}
	}
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"12.34", "0", ".5", "99999999999.99", "1.2.3", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseDecimal(s, 2)
		if err != nil {
			return
		}
		back, err := ParseDecimal(FormatDecimal(v, 2), 2)
		if err != nil || back != v {
			t.Fatalf("round trip of %q: %d -> %q -> %d, %v", s, v, FormatDecimal(v, 2), back, err)
		}
	})
}
