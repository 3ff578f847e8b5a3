package admin

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
)

// FuzzRequest feeds arbitrary request lines to the server's decoder and
// dispatcher: it must never panic, and only well-formed requests naming a
// known command may succeed.
func FuzzRequest(f *testing.F) {
	f.Add([]byte(`{"cmd":"status"}`))
	f.Add([]byte(`{"cmd":"payments","args":{"limit":5}}`))
	f.Add([]byte(`{"cmd":"refund","args":{"payment_id":"p1","amount":"1.00"}}`))
	f.Add([]byte(`{"cmd":"reprint","args":{"receipt":18446744073709551615}}`))
	f.Add([]byte(`not json`))
	s := &Server{h: &fakeHandler{}, log: slog.New(slog.DiscardHandler), ctx: context.Background()}
	f.Fuzz(func(t *testing.T, line []byte) {
		resp := s.handle(s.log, Cred{}, nil, line) // as root: every command reaches the dispatcher
		if _, err := json.Marshal(resp); err != nil {
			t.Fatalf("response cannot be encoded: %v", err)
		}
		if !resp.OK {
			if resp.Error == "" {
				t.Fatal("failed response without an error text")
			}
			return
		}
		var req Request
		if err := json.Unmarshal(line, &req); err != nil {
			t.Fatalf("invalid JSON %q succeeded", line)
		}
		switch req.Cmd {
		case CmdStatus, CmdPayments, CmdReprint, CmdRefund, CmdEndOfDay:
		default:
			t.Fatalf("unknown command %q succeeded", req.Cmd)
		}
	})
}
