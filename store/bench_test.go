package store

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/terminald/terminald/money"
)

// The history benchmarks run at 1k and 100k payments; add 1M (about a minute to build
// and ~0.4 GB of temporary disk) with
//
//	go test ./store -run '^$' -bench . -store.history 1000,100000,1000000
var historyFlag = flag.String("store.history", "1000,100000", "comma-separated history sizes for the store benchmarks")

func historySizes(b *testing.B) []int {
	var out []int
	for _, f := range strings.Split(*historyFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("-store.history: %q is not a size", f)
		}
		out = append(out, n)
	}
	return out
}

func sizeName(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("history=%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("history=%dk", n/1000)
	}
	return fmt.Sprintf("history=%d", n)
}

// The generated databases, built once per size per test binary run.
var (
	genMu    sync.Mutex
	genDir   string
	genPaths = map[int]string{}
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if genDir != "" {
		os.RemoveAll(genDir)
	}
	os.Exit(code)
}

// inFlight is how many unfinished payments the generated databases hold.
const inFlight = 10

// realistic returns finished payment i of a generated history: the fields an AcountPay
// payment carries when it is done (provider id, QR payload, provider data), a minute apart.
func realistic(i int) *Payment {
	at := t0.Add(time.Duration(i) * time.Minute)
	id := fmt.Sprintf("T1-%06d-a1b2c3", i+1)
	uuid := fmt.Sprintf("4f1c2a9e-7b3d-4e8f-9a0b-%012d", i)
	p := &Payment{ID: id, Provider: "acountpay", Amount: money.New(int64(100+i%5000), "EUR"), State: StatePaid, Source: "keypad",
		ProviderID: uuid, QR: "https://pay.acountpay.com/qr/" + uuid + "?ref=" + id,
		Detail: "PAID", Data: map[string]string{"acp.payment": uuid},
		ExpiresAt: at.Add(30 * time.Minute), CreatedAt: at, UpdatedAt: at.Add(20 * time.Second), SettledAt: at.Add(20 * time.Second),
		Receipt: uint64(i%9999 + 1), Trace: uint64(i%999_999 + 1), ClockSynced: true}
	if i%20 == 0 {
		p.State, p.SettledAt, p.Receipt, p.Detail = StateExpired, time.Time{}, 0, "EXPIRED"
	}
	return p
}

// history returns a database with n finished payments, inFlight open ones and an end of
// day after the last, written through the store's own API (bulk transactions, no fsync).
func historyDB(b *testing.B, n int) string {
	b.Helper()
	genMu.Lock()
	defer genMu.Unlock()
	if p, ok := genPaths[n]; ok {
		return p
	}
	if genDir == "" {
		d, err := os.MkdirTemp("", "store-bench-")
		if err != nil {
			b.Fatal(err)
		}
		genDir = d
	}
	path := filepath.Join(genDir, fmt.Sprintf("history-%d.db", n))
	s, err := Open(path, &Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	const perTx = 5000
	for i := 0; i < n; i += perTx {
		err := s.Update(func(tx *Tx) error {
			for j := i; j < min(i+perTx, n); j++ {
				if err := tx.PutPayment(realistic(j)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	end := t0.Add(time.Duration(n) * time.Minute)
	err = s.Update(func(tx *Tx) error {
		for k := range inFlight {
			p := realistic(n + k)
			p.ID, p.State, p.SettledAt, p.Receipt, p.CreatedAt = fmt.Sprintf("OPEN-%d", k), StateAwaiting, time.Time{}, 0, end
			if err := tx.PutPayment(p); err != nil {
				return err
			}
		}
		v, _ := end.MarshalText()
		return tx.SetMeta("eod", v)
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	genPaths[n] = path
	return path
}

func copyFile(b *testing.B, src, dst string) {
	b.Helper()
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	// On disk before the timer runs: the measured Open's first fsync must not flush the copy.
	if err := out.Sync(); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

// rssKiB is the process's resident set (Linux; 0 elsewhere).
func rssKiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return f
		}
	}
	return 0
}

// openRecover is what start-up does before READY: open (and migrate) the database and
// read the open payments, open refunds and outbox.
func openRecover(b *testing.B, path string) *Store {
	s, err := Open(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	err = s.View(func(tx *Tx) error {
		ps, err := tx.OpenPayments()
		if err != nil {
			return err
		}
		if len(ps) != inFlight {
			return fmt.Errorf("recovered %d open payments, want %d", len(ps), inFlight)
		}
		if _, err := tx.OpenRefunds(); err != nil {
			return err
		}
		_, err = tx.Jobs()
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkOpenRecover: start → recovered (open, open index, refunds, outbox), with the
// heap and resident memory it leaves compared with a new database's.
func BenchmarkOpenRecover(b *testing.B) {
	for _, n := range historySizes(b) {
		b.Run(sizeName(n), func(b *testing.B) {
			path := historyDB(b, n)
			empty := filepath.Join(b.TempDir(), "new.db")
			s0, err := Open(empty, nil)
			if err != nil {
				b.Fatal(err)
			}
			s0.Update(func(tx *Tx) error {
				for k := range inFlight {
					p := realistic(k)
					p.ID, p.State = fmt.Sprintf("OPEN-%d", k), StateAwaiting
					if err := tx.PutPayment(p); err != nil {
						return err
					}
				}
				return nil
			})
			s0.Close()
			measure := func(path string) (heap, rss float64) {
				var ms runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&ms)
				h0, r0 := ms.HeapInuse, rssKiB()
				s := openRecover(b, path)
				runtime.ReadMemStats(&ms)
				heap, rss = float64(ms.HeapInuse)-float64(h0), rssKiB()-r0
				s.Close()
				return heap, rss
			}
			hNew, rNew := measure(empty)
			hOld, rOld := measure(path)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				openRecover(b, path).Close()
			}
			b.StopTimer()
			b.ReportMetric((hOld-hNew)/1024, "heap-KiB-vs-new")
			b.ReportMetric(rOld-rNew, "rss-KiB-vs-new")
		})
	}
}

// BenchmarkFirstPage: the first page of 20 of the listing, unfiltered and through each
// index.
func BenchmarkFirstPage(b *testing.B) {
	for _, n := range historySizes(b) {
		path := historyDB(b, n)
		s, err := Open(path, &Options{ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		day := t0.Add(time.Duration(n/2) * time.Minute).Truncate(24 * time.Hour)
		for _, c := range []struct {
			name string
			q    Query
		}{
			{"all", Query{Limit: 20}},
			{"state=expired", Query{Limit: 20, State: StateExpired}},
			{"day", Query{Limit: 20, From: day, To: day.Add(24 * time.Hour)}},
			{"receipt", Query{Receipt: 77}},
		} {
			b.Run(sizeName(n)+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					page, err := s.List(context.Background(), c.q)
					if err != nil || len(page.Payments) == 0 {
						b.Fatalf("List = %d, %v", len(page.Payments), err)
					}
				}
			})
		}
		s.Close()
	}
}

// BenchmarkBytesPerPayment reports the database file per finished payment.
func BenchmarkBytesPerPayment(b *testing.B) {
	for _, n := range historySizes(b) {
		b.Run(sizeName(n), func(b *testing.B) {
			path := historyDB(b, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				fi, err := os.Stat(path)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(fi.Size())/float64(n), "file-B/payment")
			}
		})
	}
}

// BenchmarkPrune prunes 90 % of the history (retention passed, end of day done) in
// background batches: payments per second, the peak heap during the run, the bytes
// allocated per pruned payment and the longest batch (the longest a payment's commit can
// wait for the pruner; fsync off here, so add one fsync).
func BenchmarkPrune(b *testing.B) {
	for _, n := range historySizes(b) {
		b.Run(sizeName(n), func(b *testing.B) {
			src := historyDB(b, n)
			b.ResetTimer()
			total, pruned := time.Duration(0), 0
			var peak uint64
			var allocs uint64
			var longest time.Duration // the longest batch: how long a payment's commit can wait
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				path := filepath.Join(b.TempDir(), "prune.db")
				copyFile(b, src, path)
				s, err := Open(path, &Options{NoSync: true})
				if err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				base, alloc0 := ms.HeapInuse, ms.TotalAlloc
				now := t0.Add(time.Duration(n) * time.Minute)
				p := &Pruner{Store: s, Retention: time.Duration(n/10) * time.Minute, Now: func() time.Time { return now }, Pause: time.Nanosecond,
					Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
				var last time.Time
				p.afterBatch = func(int) {
					longest = max(longest, time.Since(last))
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > base {
						peak = max(peak, ms.HeapInuse-base)
					}
					last = time.Now()
				}
				b.StartTimer()
				start := time.Now()
				last = start
				k, err := p.RunOnce(context.Background())
				total += time.Since(start)
				b.StopTimer()
				runtime.ReadMemStats(&ms)
				allocs += ms.TotalAlloc - alloc0
				if err != nil || k < n*8/10 {
					b.Fatalf("pruned %d of %d, %v", k, n, err)
				}
				pruned += k
				s.Close()
			}
			b.ReportMetric(float64(pruned)/total.Seconds(), "payments/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(allocs)/float64(pruned), "alloc-B/pruned")
			b.ReportMetric(float64(longest.Microseconds())/1000, "max-batch-ms")
		})
	}
}

// BenchmarkMigrateV2 is the one-time cost of the first start after the upgrade to
// sequence keys: a schema-2 database of n finished payments and 10 in flight. open-ms is
// Open (what READY waits for: the payments in flight moved); payments/s is the history
// moved afterwards by MigrateHistory in the background, pauses included (it yields as
// long as each batch held the write lock).
func BenchmarkMigrateV2(b *testing.B) {
	for _, n := range historySizes(b) {
		if n > 100_000 {
			continue // a schema-2 database of 1M takes minutes to write
		}
		b.Run(sizeName(n), func(b *testing.B) {
			ps := make([]*Payment, n, n+10)
			for i := range ps {
				ps[i] = realistic(i)
			}
			for i := range 10 {
				p := realistic(n + i)
				p.State, p.SettledAt, p.Receipt = StateAwaiting, time.Time{}, 0
				p.UpdatedAt = time.Now()
				p.ExpiresAt = time.Now().Add(time.Hour)
				ps = append(ps, p)
			}
			src := filepath.Join(b.TempDir(), "v2.db")
			writeV2(b, src, ps, nil)
			ps = nil
			b.ResetTimer()
			var open, took time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				path := filepath.Join(b.TempDir(), "migrate.db")
				copyFile(b, src, path)
				b.StartTimer()
				start := time.Now()
				s, err := Open(path, nil)
				if err != nil {
					b.Fatal(err)
				}
				open += time.Since(start)
				start = time.Now()
				if err := s.MigrateHistory(context.Background(), time.Microsecond); err != nil {
					b.Fatal(err)
				}
				took += time.Since(start)
				b.StopTimer()
				s.Close()
			}
			b.ReportMetric(float64(open.Microseconds())/1e3/float64(b.N), "open-ms")
			b.ReportMetric(float64(n)/took.Seconds()*float64(b.N), "payments/s")
		})
	}
}
