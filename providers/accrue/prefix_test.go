package accrue_test

import (
	"context"
	"strings"
	"testing"

	"github.com/terminald/terminald/providers/accrue/sandbox"
)

// An error says "accrue:" and its operation once, however many attempts and layers it
// went through ("accrue: get wallet: … accrue: get wallet: accrue: bad response" was
// what a person read).
func TestErrorsSayAccrueOnce(t *testing.T) {
	for _, kind := range []string{sandbox.FaultServerError, sandbox.FaultGarbage, sandbox.FaultOversized} {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			c := e.client(t)
			e.sb.AddFault(sandbox.Fault{Kind: kind, Count: 5})
			_, err := c.GetWallet(context.Background(), sandbox.DemoRichWalletID)
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			if msg := err.Error(); strings.Count(msg, "accrue:") != 1 || strings.Count(msg, "get wallet") != 1 {
				t.Errorf("error %q: want accrue: and the operation said once", msg)
			}
			e.sb.AddFault(sandbox.Fault{Kind: kind})
			_, err = c.IncreaseAuthorization(context.Background(), "p", 5)
			t.Log(err)
			if msg := err.Error(); strings.Count(msg, "accrue:") != 1 {
				t.Errorf("error %q: want accrue: said once", msg)
			}
		})
	}
}
