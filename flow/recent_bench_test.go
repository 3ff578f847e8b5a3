package flow

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/store"
)

var recentHistory = flag.String("flow.recent-history", "100,10000", "comma-separated store sizes for BenchmarkRecentPage")

// BenchmarkRecentPage opens the recent-payments screen and pages down once: time and
// memory stay flat in the history (one page read through the store's cursor).
//
//	go test ./flow -run '^$' -bench RecentPage -benchmem
func BenchmarkRecentPage(b *testing.B) {
	for _, f := range strings.Split(*recentHistory, ",") {
		n, err := strconv.Atoi(f)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("history=%d", n), func(b *testing.B) {
			st, err := store.Open(b.TempDir()+"/state.db", nil)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			e, err := New(testConfig(), st, []driver.Provider{&script{}}, &screens{}, &printer{})
			if err != nil {
				b.Fatal(err)
			}
			base := time.Now().Add(-time.Duration(n) * time.Minute)
			err = st.Update(func(tx *store.Tx) error {
				for i := range n {
					p := &store.Payment{ID: fmt.Sprintf("T1-%07d", i), Provider: "script", Amount: money.New(int64(i+1), "EUR"),
						State: store.StatePaid, CreatedAt: base.Add(time.Duration(i) * time.Minute), Receipt: uint64(i%9999 + 1)}
					p.UpdatedAt, p.SettledAt = p.CreatedAt, p.CreatedAt
					if err := tx.PutPayment(p); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				e.ui.openRecent() // the engine does not run: the ui is called as its goroutine would
				e.ui.viewKey(KeyDown)
			}
		})
	}
}
