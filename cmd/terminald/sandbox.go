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

	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/providers/accrue"
	"github.com/terminald/terminald/providers/acountpay"
	"github.com/terminald/terminald/providers/cryptogw"
)

// simProvider is a provider client wired to a sandbox, plus how the simulated customer
// pays there.
type simProvider struct {
	provider flow.Provider
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
		return acountpay.NewSandbox(acountpay.SandboxOptions{Logger: log}), nil
	case "accrue":
		return accrue.NewSandbox(accrue.SandboxOptions{}), nil
	case "cryptogw":
		o := cryptogw.SandboxOptions{}
		if fast {
			o.ConfirmationInterval = time.Second
			o.RefundWait = 2 * time.Second
		}
		return cryptogw.NewSandbox(o), nil
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
			ClientID: acountpay.DemoClientID, ClientSecret: acountpay.DemoClientSecret,
			MerchantClientID: acountpay.DemoMerchantClientID, Description: "terminald sim", HTTPClient: hc}, log)
		if err != nil {
			return nil, err
		}
		sp.provider, sp.currency = p, "DKK"
		sp.pay = func(ctx context.Context, qr string) error { return openURL(ctx, hc, qr) }
	case "accrue":
		cfg := accrue.SandboxConfig(sp.url)
		cfg.HTTPClient = hc
		p, err := accrue.New(cfg, log)
		if err != nil {
			return nil, err
		}
		codes := map[string]string{"rich": accrue.DemoRichCode, "poor": accrue.DemoPoorCode,
			"unverified": accrue.DemoUnverifiedCode, "decline": accrue.DemoDeclineCode}
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
	level := fs.String("log-level", "info", "log level")
	blockTime := fs.Duration("block-time", 0, "cryptogw: simulated chain `DURATION` per block confirmation (default 10s)")
	refundWait := fs.Duration("refund-wait", 0, "cryptogw: refunds complete after this `DURATION` (default 2m)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if (*blockTime != 0 || *refundWait != 0) && *name != "cryptogw" {
		return fmt.Errorf("%w: --block-time and --refund-wait are for --provider cryptogw", errUsage)
	}
	if *blockTime < 0 || *refundWait < 0 {
		return fmt.Errorf("%w: --block-time and --refund-wait must not be negative", errUsage)
	}
	log, err := newLogger(stderr, *level)
	if err != nil {
		return fmt.Errorf("%w: --log-level: %v", errUsage, err)
	}
	h, err := sandboxHandler(*name, false, log)
	if err != nil {
		return err
	}
	if *blockTime != 0 || *refundWait != 0 {
		h = cryptogw.NewSandbox(cryptogw.SandboxOptions{ConfirmationInterval: *blockTime, RefundWait: *refundWait})
	}
	u, stop, err := listenHTTP(*listen, h)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(stdout, "%s sandbox listening on %s\n", *name, u)
	<-ctx.Done()
	return nil
}
