package sandbox

import (
	"fmt"
	"strings"
)

// Describe returns what a technician needs to point a real terminal at a sandbox served at
// baseURL: the base URL, the demo credentials it accepts, the demo wallets (scan code and
// phone number, and what each does) and a ready configuration snippet for terminald.toml.
// The demo secrets are the sandbox's own, never real credentials.
func Describe(baseURL string) string {
	baseURL = strings.TrimRight(baseURL, "/")
	var b strings.Builder
	fmt.Fprintf(&b, "Accrue sandbox at %s (Merchant API under /api/v1)\n", baseURL)
	fmt.Fprintf(&b, "  Client-ID:        %s\n", DemoClientID)
	fmt.Fprintf(&b, "  client secret:    %s\n", DemoClientSecret)
	fmt.Fprintf(&b, "  webhook secret:   %s\n", DemoWebhookSecret)
	b.WriteString("Demo wallets (scan code / phone):\n")
	for _, w := range []struct{ code, phone, what string }{
		{DemoRichCode, DemoRichPhone, "pays"},
		{DemoPoorCode, DemoPoorPhone, fmt.Sprintf("holds %d.%02d USD: \"Insufficient balance\"", DemoPoorBalance/100, DemoPoorBalance%100)},
		{DemoUnverifiedCode, DemoUnverifiedPhone, "\"Bank account not verified\""},
		{DemoDeclineCode, DemoDeclinePhone, "capture declined (402)"},
		{DemoForeignCode, DemoForeignPhone, "another merchant's wallet (403 WalletAccessDenied)"},
	} {
		fmt.Fprintf(&b, "  %-24s %-14s %s\n", w.code, w.phone, w.what)
	}
	b.WriteString("terminald.toml:\n")
	b.WriteString("  [providers]\n  enabled = [\"accrue\"]\n\n")
	fmt.Fprintf(&b, "  [accrue]\n  base_url       = %q\n  client_id      = %q\n  client_secret  = %q\n  webhook_secret = %q\n",
		baseURL, DemoClientID, DemoClientSecret, DemoWebhookSecret)
	return b.String()
}
