package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/store"
)

// Listing the payments newest first, page by page: the cursor of one page is where the
// next one starts, and memory holds one page whatever the history.
func ExampleStore_List() {
	dir, _ := os.MkdirTemp("", "store-example")
	defer os.RemoveAll(dir)
	st, err := store.Open(filepath.Join(dir, "terminald.db"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	st.Update(func(tx *store.Tx) error {
		for i := 1; i <= 5; i++ {
			state := store.StatePaid
			if i == 3 {
				state = store.StateFailed
			}
			p := &store.Payment{ID: fmt.Sprintf("T1-%06d-abcdef", 999_997+i), Provider: "acountpay",
				Amount: money.New(int64(i*100), "EUR"), State: state, CreatedAt: at, UpdatedAt: at}
			if err := tx.PutPayment(p); err != nil {
				return err
			}
		}
		return nil
	})
	ctx := context.Background()
	q := store.Query{Limit: 2}
	for {
		page, err := st.List(ctx, q)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, p := range page.Payments {
			fmt.Println(p.ID, p.State)
		}
		if page.Next == 0 {
			break
		}
		q.Before = page.Next
	}
	failed, _ := st.List(ctx, store.Query{State: store.StateFailed})
	fmt.Println("failed:", len(failed.Payments))
	// Output:
	// T1-1000002-abcdef paid
	// T1-1000001-abcdef paid
	// T1-1000000-abcdef failed
	// T1-999999-abcdef paid
	// T1-999998-abcdef paid
	// failed: 1
}
