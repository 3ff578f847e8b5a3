package locale_test

import (
	"fmt"
	"time"

	"github.com/terminald/terminald/locale"
	"github.com/terminald/terminald/money"
)

func Example() {
	l, err := locale.New(locale.Options{Language: "da", TimeZone: "Europe/Copenhagen"})
	if err != nil {
		panic(err)
	}
	fmt.Println(l.T("receipt.amount"), l.Money(money.New(123456, "DKK")))
	a, _ := l.ParseAmount("1,00", "DKK")
	fmt.Println(a)
	fmt.Println(l.Time(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)), l.Brand("acountpay"))
	// Output:
	// BELØB 1.234,56 kr.
	// 1.00 DKK
	// 01-06-2026 12:00:00 AcountPay
}
