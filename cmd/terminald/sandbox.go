//go:build sim

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/providers/accrue"
	accruesb "github.com/terminald/terminald/providers/accrue/sandbox"
	"github.com/terminald/terminald/providers/acountpay"
	acountpaysb "github.com/terminald/terminald/providers/acountpay/sandbox"
	"github.com/terminald/terminald/providers/cryptogw"
	cryptosb "github.com/terminald/terminald/providers/cryptogw/sandbox"
)

// simProvider is a provider client wired to a sandbox, plus how the simulated customer
// pays there.
type simProvider struct {
	provider driver.Provider
	url      string
	currency string
	scanCode string                                     // wallet code the customer shows (Accrue)
	pay      func(ctx context.Context, qr string) error // the customer pays what the QR says
	close    func()
}

// sandboxHandler returns the sandbox of provider name. fast shortens the simulated
// chain's block time (the simulator's own sandbox).
func sandboxHandler(name string, fast bool, log *slog.Logger) (http.Handler, error) {
	switch name {
	case "acountpay":
		return acountpaysb.New(acountpaysb.Options{Logger: log}), nil
	case "accrue":
		return accruesb.New(accruesb.Options{}), nil
	case "cryptogw":
		o := cryptosb.Options{}
		if fast {
			o.ConfirmationInterval = time.Second
			o.RefundWait = 2 * time.Second
		}
		return cryptosb.New(o), nil
	}
	return nil, fmt.Errorf("%w: unknown provider %q (acountpay, accrue, cryptogw)", errUsage, name)
}

// simSandbox starts (or, with url, uses) the sandbox of provider name and returns the real
// client configured against it with the sandbox's demo credentials.
func simSandbox(name, url, wallet string, fraction int64, log *slog.Logger) (*simProvider, error) {
	sp := &simProvider{close: func() {}}
	if url == "" {
		h, err := sandboxHandler(name, true, log)
		if err != nil {
			return nil, err
		}
		u, stop, err := listenHTTP("127.0.0.1:0", h)
		if err != nil {
			return nil, err
		}
		url, sp.close = u, stop
	}
	sp.url = strings.TrimRight(url, "/")
	hc := &http.Client{Timeout: 15 * time.Second}
	switch name {
	case "acountpay":
		p, err := acountpay.New(acountpay.Config{BaseURL: sp.url, Variant: acountpay.VariantOAuth,
			ClientID: acountpaysb.DemoClientID, ClientSecret: acountpaysb.DemoClientSecret,
			MerchantClientID: acountpaysb.DemoMerchantClientID, Description: "terminald sim", HTTPClient: hc}, log)
		if err != nil {
			return nil, err
		}
		sp.provider, sp.currency = p, "DKK"
		sp.pay = func(ctx context.Context, qr string) error { return openURL(ctx, hc, qr) }
	case "accrue":
		cfg := accruesb.Config(sp.url)
		cfg.HTTPClient = hc
		p, err := accrue.New(cfg, log)
		if err != nil {
			return nil, err
		}
		codes := map[string]string{"rich": accruesb.DemoRichCode, "poor": accruesb.DemoPoorCode,
			"unverified": accruesb.DemoUnverifiedCode, "decline": accruesb.DemoDeclineCode}
		if sp.scanCode = codes[wallet]; sp.scanCode == "" {
			sp.close()
			return nil, fmt.Errorf("%w: --wallet: rich, poor, unverified or decline; got %q", errUsage, wallet)
		}
		sp.provider, sp.currency = p, "USD"
		sp.pay = func(context.Context, string) error { return nil }
	case "cryptogw":
		cfg := cryptogw.DemoConfig(sp.url + "/v2/")
		cfg.HTTPClient = hc
		cfg.Currencies = []string{"BTC"}
		p, err := cryptogw.New(cfg, log)
		if err != nil {
			return nil, err
		}
		sp.provider, sp.currency = p, "EUR"
		sp.pay = func(ctx context.Context, qr string) error {
			u, err := cryptogw.ParsePaymentURI(qr)
			if err != nil {
				return err
			}
			amt, err := u.Amount.MulDiv(cryptogw.Decimal(fraction), cryptogw.Decimal(100), false)
			if err != nil {
				return err
			}
			q := neturl.Values{"address": {u.Address}, "amount": {amt.String()}}
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, sp.url+"/sandbox/pay?"+q.Encode(), nil)
			if err != nil {
				return err
			}
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode/100 != 2 {
				return fmt.Errorf("crypto sandbox pay: %s", resp.Status)
			}
			return nil
		}
	default:
		sp.close()
		return nil, fmt.Errorf("%w: unknown provider %q (acountpay, accrue, cryptogw)", errUsage, name)
	}
	return sp, nil
}

// openURL opens a payment page the way the customer's phone would.
func openURL(ctx context.Context, hc *http.Client, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("payment page %s: %s", u, resp.Status)
	}
	return nil
}

func cmdSandbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flags("sandbox", stderr)
	listen := fs.String("listen", "127.0.0.1:8700", "listen `ADDR`ess (loopback unless you mean it)")
	name := fs.String("provider", "acountpay", "provider: acountpay, accrue or cryptogw")
	shape := fs.String("shape", "live", "acountpay: answer `SHAPE`: live (AcountPay's own words and webhooks) or seed (the documents')")
	level := fs.String("log-level", "info", "log level")
	blockTime := fs.Duration("block-time", 0, "cryptogw: simulated chain `DURATION` per block confirmation (default 10s)")
	refundWait := fs.Duration("refund-wait", 0, "cryptogw: refunds complete after this `DURATION` (default 2m)")
	hold := fs.Bool("hold-confirmations", false, "cryptogw: start with the chain held: no payment confirms until POST /sandbox/hold?on=false")
	if err := parse(fs, args); err != nil {
		return err
	}
	if (*blockTime != 0 || *refundWait != 0 || *hold) && *name != "cryptogw" {
		return fmt.Errorf("%w: --block-time, --refund-wait and --hold-confirmations are for --provider cryptogw", errUsage)
	}
	if *blockTime < 0 || *refundWait < 0 {
		return fmt.Errorf("%w: --block-time and --refund-wait must not be negative", errUsage)
	}
	log, err := newLogger(stderr, *level)
	if err != nil {
		return fmt.Errorf("%w: --log-level: %v", errUsage, err)
	}
	if *shape != acountpaysb.ShapeLive && *shape != acountpaysb.ShapeSeed {
		return fmt.Errorf("%w: --shape: live or seed, got %q", errUsage, *shape)
	}
	if *shape != acountpaysb.ShapeLive && *name != "acountpay" {
		return fmt.Errorf("%w: --shape is for --provider acountpay", errUsage)
	}
	var h http.Handler
	if *name == "acountpay" {
		h = acountpaysb.New(acountpaysb.Options{Logger: log, Shape: *shape})
	} else if h, err = sandboxHandler(*name, false, log); err != nil {
		return err
	}
	if *blockTime != 0 || *refundWait != 0 || *hold {
		h = cryptosb.New(cryptosb.Options{ConfirmationInterval: *blockTime, RefundWait: *refundWait, HoldConfirmations: *hold})
	}
	u, stop, err := listenHTTP(*listen, h)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(stdout, "%s sandbox listening on %s\n", *name, u)
	writeSandboxInfo(stdout, *name, u)
	<-ctx.Done()
	return nil
}

// writeSandboxInfo prints, for a technician, what the sandbox of provider name at base
// accepts (demo credentials, demo wallets and codes) and a configuration for
// `terminald run` against it. The first line of the command's output stays the
// "listening on" line.
func writeSandboxInfo(w io.Writer, name, base string) {
	host := base
	if u, err := neturl.Parse(base); err == nil {
		if h := u.Hostname(); h == "0.0.0.0" || h == "::" || h == "" {
			fmt.Fprintf(w, "\nListening on all interfaces: a terminal reaches it at http://<this machine's LAN address>:%s\n", u.Port())
		}
	}
	var creds [][2]string
	var extra []string
	var section, currency string
	switch name {
	case "acountpay":
		creds = [][2]string{
			{"variant", "oauth (POST /oauth/token) or partner (X-Partner-Client-Id/-Secret headers)"},
			{"client_id", acountpaysb.DemoClientID}, {"client_secret", acountpaysb.DemoClientSecret},
			{"merchant_client_id", acountpaysb.DemoMerchantClientID}, {"webhook_secret", acountpaysb.DemoWebhookSecret},
		}
		extra = []string{
			"The customer pays by opening the QR's URL (the sandbox bank page).",
			"Onboard more merchants: terminald acountpay onboard --config FILE --company NAME --email ADDR",
		}
		currency = "DKK"
		section = fmt.Sprintf(`[acountpay]
base_url = %q
variant = "oauth"
client_id = %q
client_secret = %q
merchant_client_id = %q
webhook_secret = %q
`, host, acountpaysb.DemoClientID, acountpaysb.DemoClientSecret, acountpaysb.DemoMerchantClientID, acountpaysb.DemoWebhookSecret)
	case "accrue":
		creds = [][2]string{{"client_id", accruesb.DemoClientID}, {"client_secret", accruesb.DemoClientSecret}, {"webhook_secret", accruesb.DemoWebhookSecret}}
		extra = []string{
			"Demo wallets (scan the code, or key the phone number):",
			fmt.Sprintf("  rich        code %s  phone %s", accruesb.DemoRichCode, accruesb.DemoRichPhone),
			fmt.Sprintf("  poor        code %s  phone %s  (balance %d cents)", accruesb.DemoPoorCode, accruesb.DemoPoorPhone, accruesb.DemoPoorBalance),
			fmt.Sprintf("  unverified  code %s  phone %s", accruesb.DemoUnverifiedCode, accruesb.DemoUnverifiedPhone),
			fmt.Sprintf("  decline     code %s  phone %s", accruesb.DemoDeclineCode, accruesb.DemoDeclinePhone),
		}
		currency = "USD"
		section = fmt.Sprintf(`[accrue]
base_url = %q
client_id = %q
client_secret = %q
webhook_secret = %q
`, host, accruesb.DemoClientID, accruesb.DemoClientSecret, accruesb.DemoWebhookSecret)
	case "cryptogw":
		creds = [][2]string{{"username", cryptogw.DemoUsername}, {"api_key", cryptogw.DemoAPIKey}, {"pos_id", cryptogw.DemoPosID}}
		extra = []string{"The customer pays with POST " + host + "/sandbox/pay?address=ADDRESS&amount=AMOUNT (from the QR's payment URI)."}
		currency = "EUR"
		section = fmt.Sprintf(`[cryptogw]
base_url = %q
username = %q
api_key = %q
pos_id = %q
currencies = ["BTC"]
`, host+"/v2/", cryptogw.DemoUsername, cryptogw.DemoAPIKey, cryptogw.DemoPosID)
	default:
		return
	}
	fmt.Fprintf(w, "\nBase URL: %s\nDemo credentials it accepts:\n", base)
	for _, c := range creds {
		fmt.Fprintf(w, "  %-19s %s\n", c[0], c[1])
	}
	for _, l := range extra {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintf(w, `
Configuration for terminald run (save as a file, set state_dir, [display] and
[printer] for the hardware, check it with terminald check-config --config FILE):

# --- terminald.toml: %[1]s sandbox ---
[terminal]
id = "T1"
merchant = "Sandbox shop"
currency = %[2]q
state_dir = "/var/lib/terminald"

[providers]
enabled = [%[1]q]

%[3]s
[display]
driver = "none"

[printer]
driver = "none"
# --- end ---
`, name, currency, section)
}
