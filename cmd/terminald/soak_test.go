//go:build sim && soak

package main

// The crash-and-fault soak (`make soak`, issue 17): the built simulator against each
// provider's standalone sandbox behind a fault-injecting proxy, killed with SIGKILL at
// random points, restarted on the same state. It prints what happened and fails on a
// violation: a payment left non-final, a receipt printed twice without a label, one
// reference paid twice. Seeded (SOAK_SEED), sized by SOAK_PAYMENTS per provider.

import (
	"bytes"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/terminald/terminald/hw/printer/escposdoc"
)

// faultProxy forwards to a sandbox and, at rate, answers with a fault instead.
type faultProxy struct {
	rp   *httputil.ReverseProxy
	rate float64

	mu     sync.Mutex
	rnd    *rand.Rand
	counts map[string]int
}

var faultKinds = []string{"503", "502", "429", "reset-before", "reset-after", "garbage", "truncated"}

func (f *faultProxy) pick() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rnd.Float64() >= f.rate {
		return ""
	}
	k := faultKinds[f.rnd.Intn(len(faultKinds))]
	f.counts[k]++
	return k
}

func (f *faultProxy) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.counts {
		n += c
	}
	return n
}

// hangUp closes the client's connection without an answer.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			c.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func (f *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind := ""
	// The simulated customer's own calls (crypto's /sandbox/pay, AcountPay's bank page
	// /pay/...) pass: the faults are between the terminal and its provider.
	if !strings.HasPrefix(r.URL.Path, "/sandbox/") && !strings.HasPrefix(r.URL.Path, "/pay/") {
		kind = f.pick()
	}
	switch kind {
	case "":
		f.rp.ServeHTTP(w, r)
	case "503":
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
	case "502":
		http.Error(w, "bad gateway", http.StatusBadGateway)
	case "429":
		w.Header().Set("Retry-After", "1")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	case "reset-before":
		hangUp(w)
	case "reset-after": // the provider acted; its answer is lost
		f.rp.ServeHTTP(httptest.NewRecorder(), r)
		hangUp(w)
	case "garbage":
		f.rp.ServeHTTP(httptest.NewRecorder(), r)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("<html>upstream garbage"))
	case "truncated":
		rec := httptest.NewRecorder()
		f.rp.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body[:len(body)/2])
		panic(http.ErrAbortHandler)
	}
}

// soakRun runs the simulator with keys on stdin; killAfter > 0 kills it with SIGKILL
// then. It reports whether it ended by itself within limit.
func soakRun(keys string, killAfter, limit time.Duration, args ...string) (ended bool, stderr string) {
	cmd := exec.Command(bin, append([]string{"sim"}, args...)...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	in, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		return false, err.Error()
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	in.Write([]byte(keys))
	if killAfter > 0 {
		select {
		case <-done:
			return true, errb.String()
		case <-time.After(killAfter):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			return false, errb.String()
		}
	}
	in.Close()
	select {
	case <-done:
		return true, errb.String()
	case <-time.After(limit):
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
		return false, errb.String()
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func TestSoak(t *testing.T) {
	skipShort(t)
	seed := int64(envInt("SOAK_SEED", 17))
	n := envInt("SOAK_PAYMENTS", 10)
	providers := []struct{ name, keys string }{
		{"acountpay", "1234\n"},
		{"accrue", "1234\n1"},
		{"cryptogw", "2000\n\n"},
	}
	rnd := rand.New(rand.NewSource(seed))
	violations := 0
	var report []string
	for _, pv := range providers {
		sb := sandbox(t, pv.name)
		target, _ := url.Parse(sb)
		fp := &faultProxy{rp: httputil.NewSingleHostReverseProxy(target), rate: 0.2,
			rnd: rand.New(rand.NewSource(seed + int64(len(pv.name)))), counts: map[string]int{}}
		srv := httptest.NewServer(fp)
		d := simDirsIn(t.TempDir())
		args := append([]string{"--provider", pv.name, "--sandbox", srv.URL, "--pay-after", "300ms"}, d.args()...)
		kills, unsettled := 0, 0
		for i := 0; i < n; i++ {
			if rnd.Intn(3) == 0 {
				kills++
				soakRun(pv.keys, time.Duration(rnd.Intn(4000))*time.Millisecond, 0, args...)
				// Restart on the same state; nobody at the keypad.
				if ended, errs := soakRun("", 0, 90*time.Second, args...); !ended {
					unsettled++
					t.Logf("%s: recovery run %d did not settle\n%s", pv.name, i, tail(errs))
				}
				continue
			}
			if ended, errs := soakRun(pv.keys, 0, 90*time.Second, args...); !ended {
				unsettled++
				t.Logf("%s: run %d did not settle\n%s", pv.name, i, tail(errs))
			}
		}
		// A last run without faults settles what is still watched or open.
		fp.mu.Lock()
		fp.rate = 0
		fp.mu.Unlock()
		soakRun("", 0, 3*time.Minute, args...)
		srv.Close()

		ps := payments(t, d.state)
		paid, open, doubled := 0, 0, 0
		refs, notPaid := map[string]int{}, map[string]int{}
		for _, p := range ps {
			switch p.State {
			case "paid":
				paid++
				if p.Ref != "-" {
					refs[p.Ref]++
					if refs[p.Ref] == 2 {
						doubled++
					}
				}
			case "failed", "expired", "cancelled":
				notPaid[p.State]++
			default:
				open++
			}
		}
		dup := unlabelledDuplicates(t, d.rfile)
		violations += open + doubled + dup
		report = append(report, fmt.Sprintf("%-9s payments %3d  paid %3d (%3.0f%%)  not paid %v  kills %3d  runs not settled in 90s %d  faults %4d %v  left non-final %d  doubled %d  unlabelled duplicate receipts %d",
			pv.name, len(ps), paid, 100*float64(paid)/float64(max(len(ps), 1)), notPaid, kills, unsettled, fp.total(), fp.counts, open, doubled, dup))
	}
	for _, l := range report {
		t.Log(l)
		fmt.Println("soak:", l)
	}
	if violations > 0 {
		t.Fatalf("%d violations", violations)
	}
}

// unlabelledDuplicates counts receipts printed more than once for the same reference
// and kind without a REPRINT or PRINTED AGAIN label.
func unlabelledDuplicates(t *testing.T, file string) int {
	if _, err := os.Stat(file); err != nil {
		return 0
	}
	doc := receipts(t, file)
	seen := map[string]int{}
	var cur []string
	dups := 0
	for _, it := range doc.Items {
		switch it.Kind {
		case escposdoc.ItemText:
			cur = append(cur, it.Text)
		case escposdoc.ItemCut: // one receipt ends
			text := strings.Join(cur, "\n")
			cur = nil
			if strings.Contains(text, "REPRINT") || strings.Contains(text, "PRINTED AGAIN") || !strings.Contains(text, "Reference") {
				continue
			}
			key := ""
			for _, l := range strings.Split(text, "\n") {
				if strings.HasPrefix(l, "Reference") || strings.Contains(l, "COPY") {
					key += strings.Join(strings.Fields(l), " ") + "|"
				}
			}
			if seen[key]++; seen[key] == 2 {
				dups++
			}
		}
	}
	return dups
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}
