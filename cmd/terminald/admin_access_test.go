package main

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/terminald/terminald/admin"
	"github.com/terminald/terminald/config"
)

// endOfDayOnly answers every admin command; the test counts the end-of-day runs.
type endOfDayOnly struct{ runs atomic.Int32 }

func (h *endOfDayOnly) Status(context.Context) (admin.StatusResult, error) {
	return admin.StatusResult{Ready: true}, nil
}
func (h *endOfDayOnly) Payments(context.Context, int) (admin.PaymentsResult, error) { return nil, nil }
func (h *endOfDayOnly) Reprint(context.Context, uint64) (admin.ReprintResult, error) {
	return admin.ReprintResult{}, nil
}
func (h *endOfDayOnly) Refund(context.Context, string, string, string) (admin.RefundResult, error) {
	return admin.RefundResult{}, nil
}
func (h *endOfDayOnly) EndOfDay(context.Context) (admin.EndOfDayResult, error) {
	h.runs.Add(1)
	return admin.EndOfDayResult{}, nil
}

// admin.admins in the configuration reaches the admin socket: a listed uid may run
// end-of-day, an unlisted one is refused.
func TestConfiguredAdminsMayMoveMoney(t *testing.T) {
	data, err := os.ReadFile("../../terminald.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer(`"your-client-id"`, `"mine"`, `"00000000-0000-0000-0000-000000000000"`, `"m-1"`,
		"admins = []", `admins = ["1001", "%2000"]`).Replace(string(data))
	creds := t.TempDir()
	os.WriteFile(filepath.Join(creds, "acountpay_client_secret"), []byte("from-credential\n"), 0o640)
	cfg, err := config.Parse([]byte(text), "t.toml", configOptions(creds))
	if err != nil {
		t.Fatal(err)
	}
	opts, err := adminOptions(cfg.Admin)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "adm") // short: sun_path is 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var caller atomic.Pointer[admin.Cred]
	h := &endOfDayOnly{}
	srv, err := admin.Listen(filepath.Join(dir, "admin.sock"), "", h, nil,
		append(opts, admin.WithPeerCred(func(net.Conn) (admin.Cred, error) { return *caller.Load(), nil }))...)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, tc := range []struct {
		name string
		cred admin.Cred
		ok   bool
	}{
		{"listed uid", admin.Cred{UID: 1001, GID: 1001}, true},
		{"listed group", admin.Cred{UID: 1005, GID: 2000}, true},
		{"not listed", admin.Cred{UID: 1002, GID: 1002}, false},
	} {
		caller.Store(&tc.cred) // read when the connection is accepted
		c, err := admin.Dial(srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		before := h.runs.Load()
		err = c.Call(context.Background(), admin.CmdEndOfDay, nil, nil)
		c.Close()
		var ae *admin.Error
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: end-of-day refused: %v", tc.name, err)
		case !tc.ok && (!errors.As(err, &ae) || !strings.Contains(ae.Msg, "permission denied")):
			t.Errorf("%s: end-of-day = %v, want permission denied", tc.name, err)
		case !tc.ok && h.runs.Load() != before:
			t.Errorf("%s: refused, but end-of-day ran", tc.name)
		}
	}
	// A wrong entry is named with its key.
	if _, err := adminOptions(config.Admin{Admins: []string{"no-such-user-xq"}}); err == nil || !strings.Contains(err.Error(), `admin.admins[0] "no-such-user-xq"`) {
		t.Errorf("adminOptions(no-such-user-xq) = %v, want an error naming admin.admins[0]", err)
	}
}
