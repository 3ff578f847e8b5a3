package acountpay

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/providers/acountpay/sandbox"
)

// TestCreateMerchant onboards a merchant at the sandbox with both auth variants; the
// onboarding URL activates it, and the merchant then takes payments with the client.
func TestCreateMerchant(t *testing.T) {
	for _, v := range variants {
		t.Run(v, func(t *testing.T) {
			e := newEnv(t, v, nil)
			cfg := e.p.c.cfg
			cfg.MerchantClientID = ""
			pt, err := NewPartner(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			m, err := pt.CreateMerchant(ctx, " Restaurant XYZ ", "owner@restaurant-xyz.dk")
			if err != nil {
				t.Fatal(err)
			}
			if m.Existing || m.Status != "pending_onboarding" || len(m.ClientID) != 36 || !strings.HasPrefix(m.OnboardingURL, e.srv.URL+"/onboarding/") || m.CompanyName != "Restaurant XYZ" {
				t.Fatalf("merchant %+v", m)
			}
			// Again (an earlier answer lost): the same merchant and link, flagged.
			again, err := pt.CreateMerchant(ctx, "Restaurant XYZ", "owner@restaurant-xyz.dk")
			if err != nil || !again.Existing || again.ClientID != m.ClientID || again.OnboardingURL != m.OnboardingURL {
				t.Fatalf("again: %+v %v", again, err)
			}
			cfg.MerchantClientID = m.ClientID
			cfg.HTTPClient = nil
			p, err := New(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			pay := e.payment("OB-1", 100)
			var ae *APIError
			if _, err := p.Start(ctx, pay, (&saver{}).save); !errors.As(err, &ae) || ae.Code != "merchant_not_active" {
				t.Fatalf("payment before onboarding: %v", err)
			}
			if page := openURL(t, m.OnboardingURL); !strings.Contains(page, "Onboarding complete") {
				t.Fatalf("onboarding page %q", page)
			}
			pay = e.payment("OB-2", 100)
			if u, err := p.Start(ctx, pay, (&saver{}).save); err != nil || u.Remote != driver.RemotePending {
				t.Fatalf("payment after onboarding: %+v %v", u, err)
			}
			if ms := e.sb.Merchants(); len(ms) != 1 {
				t.Fatalf("sandbox holds %d merchants, want 1", len(ms))
			}
		})
	}
}

// TestCreateMerchantRefusals: bad details are refused before anything is sent; a lost
// answer is unreachable (not repeated); an answer without a usable URL is a bad response.
func TestCreateMerchantRefusals(t *testing.T) {
	e := newEnv(t, VariantPartner, nil)
	pt, err := NewPartner(e.p.c.cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range [][2]string{{"", "a@b.dk"}, {strings.Repeat("x", 201), "a@b.dk"}, {"A\x01B", "a@b.dk"}, {"Cafe", ""}, {"Cafe", "nope"}, {"Cafe", "Bob <b@x.dk>"}} {
		before := e.requests.Load()
		if _, err := pt.CreateMerchant(ctx, tc[0], tc[1]); !errors.Is(err, ErrBadMerchantInput) {
			t.Errorf("%q %q: %v", tc[0], tc[1], err)
		}
		if e.requests.Load() != before {
			t.Errorf("%q %q: sent to AcountPay", tc[0], tc[1])
		}
	}
	e.sb.InjectFault(sandbox.Fault{Path: "/v1/partner/merchants", Status: http.StatusBadGateway})
	before := e.requests.Load()
	if _, err := pt.CreateMerchant(ctx, "Cafe", "cafe@example.dk"); !errors.Is(err, driver.ErrUnreachable) {
		t.Fatalf("502: %v", err)
	}
	if n := e.requests.Load() - before; n != 1 {
		t.Errorf("%d requests after a 502, want 1 (not repeated)", n)
	}
	e.sb.InjectFault(sandbox.Fault{Path: "/v1/partner/merchants", Garbage: true})
	if _, err := pt.CreateMerchant(ctx, "Cafe", "cafe@example.dk"); !errors.Is(err, ErrBadResponse) {
		t.Fatalf("garbage: %v", err)
	}
	if _, err := NewPartner(Config{BaseURL: e.srv.URL}, nil); err == nil || !strings.Contains(err.Error(), "acountpay.client_id") || strings.Contains(err.Error(), "merchant_client_id") {
		t.Fatalf("config errors: %v", err)
	}
}
