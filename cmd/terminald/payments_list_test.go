package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/store"
)

// `terminald payments` streams page by page from the store's indexes: all of a history
// longer than a page, newest first across the millionth id, -n, and the filters.
func TestPaymentsListingPagesAndFilters(t *testing.T) {
	skipShort(t)
	state := t.TempDir()
	st, err := store.Open(filepath.Join(state, "terminald.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.Local)
	const n = 2*listPageSize + 50
	var newest []string
	err = st.Update(func(tx *store.Tx) error {
		for i := range n {
			at := day.Add(time.Duration(i-n/2) * time.Minute) // the day before, then the day
			p := &store.Payment{ID: fmt.Sprintf("T1-%06d-abcdef", 1_000_000-n/2+i), Provider: "acountpay", Amount: money.New(100, "EUR"),
				State: store.StatePaid, CreatedAt: at, UpdatedAt: at, Receipt: uint64(i + 1)}
			if i%50 == 0 {
				p.State = store.StateFailed
			}
			if err := tx.PutPayment(p); err != nil {
				return err
			}
			newest = append([]string{p.ID}, newest...)
		}
		return nil
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	list := func(args ...string) []listed {
		t.Helper()
		out, errs, code := run(t, "", append([]string{"payments", "--state", state, "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("payments %v: exit %d: %s", args, code, errs)
		}
		var got []listed
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var l listed
			if err := json.Unmarshal([]byte(line), &l); err != nil {
				t.Fatalf("payments %v: line %q: %v", args, line, err)
			}
			got = append(got, l)
		}
		return got
	}
	idsOf := func(ls []listed) []string {
		var out []string
		for _, l := range ls {
			out = append(out, l.ID)
		}
		return out
	}
	if got := idsOf(list()); !slices.Equal(got, newest) {
		t.Fatalf("all: %d payments, first %v; want %d newest first", len(got), got[:min(3, len(got))], n)
	}
	if got := idsOf(list("-n", "230")); !slices.Equal(got, newest[:230]) {
		t.Fatalf("-n 230: %d payments", len(got))
	}
	failed := list("--only", "failed")
	if len(failed) != (n-1)/50+1 || failed[0].State != "failed" || failed[0].ID != newest[n-1-(n-1)/50*50] {
		t.Fatalf("--only failed: %d, first %+v", len(failed), failed[0])
	}
	onDay := list("--day", day.Format(time.DateOnly))
	if want := newest[:n/2]; !slices.Equal(idsOf(onDay), want) {
		t.Fatalf("--day: %d payments, want %d", len(onDay), len(want))
	}
	if got := list("--receipt", "7"); len(got) != 1 || got[0].ID != newest[n-7] {
		t.Fatalf("--receipt 7 = %v, want %s", idsOf(got), newest[n-7])
	}
	if _, errs, code := run(t, "", "payments", "--state", state, "--only", "bogus"); code == 0 || !strings.Contains(errs, "bogus") {
		t.Fatalf("--only bogus: exit %d, %q; want a usage error naming it", code, errs)
	}
}

// `terminald compact` shrinks a pruned database and refuses while it is open.
func TestCompactCommand(t *testing.T) {
	skipShort(t)
	state := t.TempDir()
	path := filepath.Join(state, "terminald.db")
	st, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	st.Update(func(tx *store.Tx) error {
		for i := range 2000 {
			at := time.Date(2026, 1, 1, 0, i, 0, 0, time.UTC)
			p := &store.Payment{ID: fmt.Sprintf("T1-%06d-abcdef", i), Provider: "acountpay", Amount: money.New(100, "EUR"),
				State: store.StateFailed, CreatedAt: at, UpdatedAt: at, Detail: strings.Repeat("x", 200)}
			if err := tx.PutPayment(p); err != nil {
				return err
			}
		}
		return nil
	})
	if _, err := st.Prune(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := run(t, "", "compact", "--state", state); code != 1 || !strings.Contains(errs, "stop terminald") {
		t.Fatalf("compact while open: exit %d, %q", code, errs)
	}
	st.Close()
	out, errs, code := run(t, "", "compact", "--state", state)
	var before, after int64
	if _, err := fmt.Sscanf(out, "compacted: %d → %d bytes", &before, &after); code != 0 || err != nil || after >= before {
		t.Fatalf("compact: exit %d, %q %q (%v)", code, out, errs, err)
	}
}
