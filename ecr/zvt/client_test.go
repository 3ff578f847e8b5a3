package zvt

import (
	"context"
	"testing"
)

// recConn records what the client sends and refuses every command with 84 83 00.
type recConn struct {
	sent []string
	in   chan APDU
}

func (r *recConn) Send(ctx context.Context, a APDU) error {
	r.sent = append(r.sent, a.String())
	if !a.IsAnswer() {
		r.in <- Nack(RCNotPossible)
	}
	return nil
}
func (r *recConn) Recv(ctx context.Context) (APDU, error) { return <-r.in, nil }
func (r *recConn) Close() error                           { return nil }

func TestGoldenClientRequests(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		want string
		do   func(c *Client) (*Outcome, error)
	}{
		{"06 00 06 12 34 56 8E 09 78", func(c *Client) (*Outcome, error) { return c.Register(ctx) }},
		{"06 01 0A 04 00 00 00 00 12 34 49 09 78", func(c *Client) (*Outcome, error) { return c.Pay(ctx, eur(1234)) }},
		{"06 31 0D 12 34 56 04 00 00 00 00 05 00 49 09 78", func(c *Client) (*Outcome, error) { return c.Refund(ctx, eur(500)) }},
		{"06 30 06 12 34 56 87 00 07", func(c *Client) (*Outcome, error) { return c.Reverse(ctx, 7) }},
		{"06 50 03 12 34 56", func(c *Client) (*Outcome, error) { return c.EndOfDay(ctx) }},
		{"05 01 03 12 34 56", func(c *Client) (*Outcome, error) { return c.Status(ctx) }},
		{"06 02 00", func(c *Client) (*Outcome, error) { return c.LogOff(ctx) }},
		{"06 B0 00", func(c *Client) (*Outcome, error) { _, err := c.Abort(ctx); return &Outcome{Refused: true}, err }},
	} {
		rc := &recConn{in: make(chan APDU, 4)}
		c := &Client{Conn: rc, Password: "123456", Currency: "EUR"}
		out, err := tc.do(c)
		if err != nil || !out.Refused || len(rc.sent) != 1 || rc.sent[0] != tc.want {
			t.Errorf("sent %q (%v), want %s", rc.sent, err, tc.want)
		}
	}
}
