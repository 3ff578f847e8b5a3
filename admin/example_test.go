package admin_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/terminald/terminald/admin"
	"github.com/terminald/terminald/money"
)

// daemon is a stand-in for terminald's real handler.
type daemon struct{}

func (daemon) Status(context.Context) (admin.StatusResult, error) {
	return admin.StatusResult{Ready: true}, nil
}
func (daemon) Payments(_ context.Context, limit int) (admin.PaymentsResult, error) {
	return admin.PaymentsResult{{ID: "p-1", Amount: money.New(1250, "EUR"), State: "paid"}}, nil
}
func (daemon) Reprint(_ context.Context, n uint64) (admin.ReprintResult, error) {
	return admin.ReprintResult{Queued: true, Receipt: n}, nil
}
func (daemon) Refund(_ context.Context, id, amount, _ string) (admin.RefundResult, error) {
	return admin.RefundResult{PaymentID: id, State: "pending"}, nil
}
func (daemon) EndOfDay(context.Context) (admin.EndOfDayResult, error) {
	return admin.EndOfDayResult{}, nil
}

// The daemon serves the admin socket; a staff tool (terminald admin …)
// dials it and calls commands.
func Example() {
	dir, _ := os.MkdirTemp("", "admin-example")
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "admin.sock") // /run/terminald/admin.sock in production

	logger := slog.New(slog.DiscardHandler)
	srv, err := admin.Listen(sock, "", daemon{}, logger) // group "terminald" in production
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	c, err := admin.Dial(sock)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	ctx := context.Background()

	var payments admin.PaymentsResult
	if err := c.Call(ctx, admin.CmdPayments, admin.PaymentsArgs{Limit: 10}, &payments); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(payments[0].ID, payments[0].Amount.Decimal(), payments[0].Amount.Currency)

	err = c.Call(ctx, admin.CmdRefund, admin.RefundArgs{}, nil)
	fmt.Println(err)
	// Output:
	// p-1 12.50 EUR
	// admin: refund: bad args: payment_id is required
}
