//go:build sim && soak

package main

// The crash-and-fault soak (`make soak`, issue 17): the built simulator against each
// provider's standalone sandbox behind a fault-injecting proxy (20 % of the terminal's
// calls, and outages of 5-30 s that 1 % of calls start), killed with SIGKILL at random
// points, restarted on the same state; the providers run in parallel. It prints what
// happened — and why each payment not paid ended so — and fails on a violation: a
// payment left non-final, a receipt printed twice without a label, one reference paid
// twice. Seeded (SOAK_SEED), sized by SOAK_PAYMENTS per provider; SOAK_LOGDIR keeps
// every run's log.

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
	"path/filepath"
	"regexp"
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
	// outageRate is the chance that a call starts an outage: for outageMin to outageMax
	// every call of the terminal's is refused (reset or 503).
	outageRate           float64
	outageMin, outageMax time.Duration

	mu          sync.Mutex
	rnd         *rand.Rand
	counts      map[string]int
	outageUntil time.Time
	outages     int
	outageTime  time.Duration
}

var faultKinds = []string{"503", "502", "429", "reset-before", "reset-after", "garbage", "truncated"}

func (f *faultProxy) pick() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	if now.Before(f.outageUntil) {
		f.counts["outage"]++
		return "outage"
	}
	if f.outageRate > 0 && f.rnd.Float64() < f.outageRate {
		d := f.outageMin + time.Duration(f.rnd.Int63n(int64(f.outageMax-f.outageMin)+1))
		f.outageUntil = now.Add(d)
		f.outages++
		f.outageTime += d
		f.counts["outage"]++
		return "outage"
	}
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
	case "outage": // nothing behind the proxy answers
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

// soakProvider is one provider's soak: the keys of one keypad payment.
type soakProvider struct{ name, keys string }

var soakProviders = []soakProvider{
	{"acountpay", "1234\n"},
	{"accrue", "1234\n1"},
	{"cryptogw", "2000\n\n"},
}

// TestSoak runs each provider's soak as a parallel subtest (go test -parallel 3).
func TestSoak(t *testing.T) {
	skipShort(t)
	seed := int64(envInt("SOAK_SEED", 17))
	n := envInt("SOAK_PAYMENTS", 10)
	for _, pv := range soakProviders {
		t.Run(pv.name, func(t *testing.T) {
			t.Parallel()
			soakOne(t, pv, seed, n)
		})
	}
}

// finishedLine matches the engine's "payment finished" log line.
var finishedLine = regexp.MustCompile(`msg="payment finished" payment=(\S+) state=(\S+) reason=("(?:[^"\\]|\\.)*"|\S*)`)

// terminalReasons are the reasons of a payment that ended without the provider refusing
// it: the terminal gave up (a fault, an outage, a kill and the restart rule).
var terminalReasons = map[string]bool{"Cancelled": true, "Expired": true, "Not received by provider": true,
	"Provider offline": true, "": true}

func soakOne(t *testing.T, pv soakProvider, seed int64, n int) {
	began := time.Now()
	rnd := rand.New(rand.NewSource(seed + int64(len(pv.name))*1000))
	var sbArgs []string
	if pv.name == "cryptogw" {
		// A block a second, not the sandbox's 10 s: a payment confirms in about 3 s
		// instead of 22 s, so 200 payments fit in minutes. The terminal's side is the same.
		sbArgs = []string{"--block-time", "1s"}
	}
	sb := sandbox(t, pv.name, sbArgs...)
	target, _ := url.Parse(sb)
	fp := &faultProxy{rp: httputil.NewSingleHostReverseProxy(target), rate: 0.2,
		outageRate: 0.01, outageMin: 5 * time.Second, outageMax: 30 * time.Second,
		rnd: rand.New(rand.NewSource(seed + int64(len(pv.name)))), counts: map[string]int{}}
	srv := httptest.NewServer(fp)
	d := simDirsIn(t.TempDir())
	// --settle 90s: at the end of its input a run waits out an outage (at most 30 s, and
	// the polling back-off after it) instead of exiting with the sale still checking,
	// which the next start would end by the restart rule: a running terminal does not exit.
	args := append([]string{"--provider", pv.name, "--sandbox", srv.URL, "--pay-after", "300ms", "--log-level", "info", "--settle", "90s"}, d.args()...)
	kills, unsettled, noPayment, settleRuns := 0, 0, 0, 0
	reasons := map[string]string{} // payment id -> "state: reason" of its last end
	var logFile *os.File           // SOAK_LOGDIR: every run's log, to find why a payment was not paid
	if dir := os.Getenv("SOAK_LOGDIR"); dir != "" {
		f, err := os.Create(filepath.Join(dir, pv.name+".log"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		logFile = f
	}
	afterKill := map[string]bool{} // payment id -> its last end came in a killed or recovery run
	logs := func(errs string, killed bool) {
		if logFile != nil {
			fmt.Fprintf(logFile, "=== run (%s)\n%s", time.Since(began).Round(time.Millisecond), errs)
		}
		for _, m := range finishedLine.FindAllStringSubmatch(errs, -1) {
			r := m[3]
			if uq, err := strconv.Unquote(r); err == nil {
				r = uq
			}
			reasons[m[1]] = m[2] + ": " + r
			afterKill[m[1]] = killed
		}
	}
	// A run can end with its payment still open (an outage outlasted the simulator's
	// settle time): like a cashier who waits until the screen is free, the next keypad
	// run comes only after runs with nobody at the keypad settled it (at most 3).
	clean := true
	settleOpen := func() {
		for j := 0; j < 3 && !clean; j++ {
			settleRuns++
			_, errs := soakRun("", 0, 150*time.Second, args...)
			logs(errs, false)
			clean = strings.Contains(errs, "nothing open")
		}
	}
	for i := 0; i < n; i++ {
		settleOpen()
		if rnd.Intn(3) == 0 {
			kills++
			_, errs := soakRun(pv.keys, time.Duration(rnd.Intn(4000))*time.Millisecond, 0, args...)
			logs(errs, true)
			// Restart on the same state; nobody at the keypad.
			ended, errs := soakRun("", 0, 150*time.Second, args...)
			logs(errs, true)
			clean = strings.Contains(errs, "nothing open")
			if !ended {
				unsettled++
				t.Logf("%s: recovery run %d did not settle\n%s", pv.name, i, tail(errs))
			}
			continue
		}
		ended, errs := soakRun(pv.keys, 0, 150*time.Second, args...)
		logs(errs, false)
		clean = strings.Contains(errs, "nothing open")
		if !strings.Contains(errs, `msg="payment created"`) {
			// The keypad payment was refused before it existed (the terminal thought its
			// provider offline): a sale lost all the same.
			noPayment++
			t.Logf("%s: run %d made no payment\n%s", pv.name, i, tail(errs))
		}
		if !ended {
			unsettled++
			t.Logf("%s: run %d did not settle\n%s", pv.name, i, tail(errs))
		}
	}
	// A last run without faults settles what is still watched or open.
	fp.mu.Lock()
	fp.rate, fp.outageRate, fp.outageUntil = 0, 0, time.Time{}
	fp.mu.Unlock()
	_, errs := soakRun("", 0, 3*time.Minute, args...)
	logs(errs, false)
	srv.Close()

	ps := payments(t, d.state)
	paid, open, doubled, refused, killed, overpaid := 0, 0, 0, 0, 0, 0
	refs, notPaid := map[string]int{}, map[string]int{}
	for _, p := range ps {
		switch p.State {
		case "paid":
			paid++
			if p.Paid != "" && p.Paid != p.Amount {
				overpaid++ // the simulated customer paid a QR shown again after a restart
			}
			if p.Ref != "-" {
				refs[p.Ref]++
				if refs[p.Ref] == 2 {
					doubled++
				}
			}
		case "failed", "expired", "cancelled":
			why := reasons[p.ID]
			if why == "" {
				why = p.State + ": (not logged)"
			}
			_, r, _ := strings.Cut(why, ": ")
			switch {
			case p.State == "failed" && !terminalReasons[r] && r != "(not logged)":
				refused++ // the provider answered that it failed
			case afterKill[p.ID]:
				// Ended by the restart rule after a SIGKILL (nobody at the keypad): the
				// kill's doing, not a fault's.
				why += " (after a kill)"
				killed++
			}
			notPaid[why]++
			t.Logf("%s: %s not paid: %s", pv.name, p.ID, why)
		default:
			open++
		}
	}
	dup := unlabelledDuplicates(t, d.rfile)
	fp.mu.Lock()
	faults, counts, outages, outageTime := 0, fmt.Sprint(fp.counts), fp.outages, fp.outageTime
	for _, c := range fp.counts {
		faults += c
	}
	fp.mu.Unlock()
	share := 100 * float64(paid) / float64(max(len(ps)+noPayment-refused, 1))
	shareF := 100 * float64(paid) / float64(max(len(ps)+noPayment-refused-killed, 1))
	line := fmt.Sprintf("%-9s payments %3d  keypad runs refused before a payment existed %d  paid %3d  refused by provider %d  paid of not refused %5.1f%%  ended by the restart rule after a kill %d  paid of the rest %5.1f%%  not paid %v  kills %3d  settle runs %d  paid twice by the simulated customer %d  runs not settled in 150s %d  faults %4d %s  outages %d (%s)  left non-final %d  doubled %d  unlabelled duplicate receipts %d  took %s",
		pv.name, len(ps), noPayment, paid, refused, share, killed, shareF, notPaid, kills, settleRuns, overpaid, unsettled, faults, counts, outages, outageTime.Round(time.Second), open, doubled, dup, time.Since(began).Round(time.Second))
	t.Log(line)
	fmt.Println("soak:", line)
	if v := open + doubled + dup; v > 0 {
		t.Errorf("%s: %d violations", pv.name, v)
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
