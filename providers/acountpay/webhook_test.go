package acountpay

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"github.com/terminald/terminald/providers/acountpay/sandbox"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func hmacHex(secret, msg string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

type hints struct {
	mu  sync.Mutex
	got []string
}

func (h *hints) hint(ref, id string) {
	h.mu.Lock()
	h.got = append(h.got, ref+"/"+id)
	h.mu.Unlock()
}

func (h *hints) list() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.got...)
}

func TestWebhookSignatures(t *testing.T) {
	const secret = "whsec_test"
	clock := newClock()
	now := clock.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	body := `{"eventId":"evt_1","event":"payment.completed","timestamp":"2025-03-01T12:00:00Z","data":{"paymentId":1001,"status":"completed","amount":149.99,"currency":"DKK","referenceNumber":"T1-0001"}}`
	type hdr map[string]string
	for _, tc := range []struct {
		name string
		body string
		h    hdr
		want int
		hint bool
	}{
		{"A", body, hdr{HeaderTimestamp: ts, HeaderSignature: hmacHex(secret, ts+"."+body)}, 200, true},
		{"B", body, hdr{HeaderWebhookSignature: hmacHex(secret, body)}, 200, true},
		{"plugin", body, hdr{HeaderSignature: "sha256=" + hmacHex(secret, body)}, 200, true},
		{"A upper-case hex", body, hdr{HeaderTimestamp: ts, HeaderSignature: strings.ToUpper(hmacHex(secret, ts+"."+body))}, 200, true},
		{"A wrong secret", body, hdr{HeaderTimestamp: ts, HeaderSignature: hmacHex("other", ts+"."+body)}, 401, false},
		{"A body changed", body + " ", hdr{HeaderTimestamp: ts, HeaderSignature: hmacHex(secret, ts+"."+body)}, 401, false},
		{"A stale", body, func() hdr {
			old := strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10)
			return hdr{HeaderTimestamp: old, HeaderSignature: hmacHex(secret, old+"."+body)}
		}(), 401, false},
		{"A future", body, func() hdr {
			f := strconv.FormatInt(now.Add(6*time.Minute).Unix(), 10)
			return hdr{HeaderTimestamp: f, HeaderSignature: hmacHex(secret, f+"."+body)}
		}(), 401, false},
		{"A timestamp not a number", body, hdr{HeaderTimestamp: "yesterday", HeaderSignature: hmacHex(secret, "yesterday."+body)}, 401, false},
		{"B bad", body, hdr{HeaderWebhookSignature: hmacHex(secret, body+"x")}, 401, false},
		{"bare signature without timestamp", body, hdr{HeaderSignature: hmacHex(secret, body)}, 401, false},
		{"plugin not hex", body, hdr{HeaderSignature: "sha256=zz"}, 401, false},
		{"unsigned", body, hdr{}, 401, false},
		{"signed garbage", "not json", hdr{HeaderWebhookSignature: hmacHex(secret, "not json")}, 400, false},
		{"signed empty object", "{}", hdr{HeaderWebhookSignature: hmacHex(secret, "{}")}, 400, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hs hints
			h := NewWebhookHandler(secret, hs.hint, nil)
			h.now = clock.Now
			req := httptest.NewRequest(http.MethodPost, "/webhooks/acountpay", strings.NewReader(tc.body))
			for k, v := range tc.h {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d", rec.Code, tc.want)
			}
			if got := hs.list(); tc.hint != (len(got) == 1) || tc.hint && got[0] != "T1-0001/1001" {
				t.Fatalf("hints %v", got)
			}
		})
	}
}

func TestWebhookDuplicatesAndLimits(t *testing.T) {
	const secret = "whsec_test"
	var hs hints
	h := NewWebhookHandler(secret, hs.hint, nil)
	send := func(body string, method string) int {
		req := httptest.NewRequest(method, "/", strings.NewReader(body))
		req.Header.Set(HeaderWebhookSignature, hmacHex(secret, body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	withID := `{"eventId":"evt_9","event":"payment.failed","data":{"paymentId":"9","referenceNumber":"R9"}}`
	noID := `{"event":"payment.expired","data":{"paymentId":"8","referenceNumber":"R8"}}`
	for range 3 {
		if c := send(withID, http.MethodPost); c != 200 {
			t.Fatalf("status %d", c)
		}
		if c := send(noID, http.MethodPost); c != 200 {
			t.Fatalf("status %d", c)
		}
	}
	// The same eventId with a different body is a duplicate too.
	send(strings.Replace(withID, "payment.failed", "payment.completed", 1), http.MethodPost)
	if got := hs.list(); len(got) != 2 || got[0] != "R9/9" || got[1] != "R8/8" {
		t.Fatalf("hints %v, want one per event", got)
	}
	if c := send(`{"event":"x","pad":"`+strings.Repeat("a", WebhookMaxBody)+`"}`, http.MethodPost); c != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized: %d", c)
	}
	if c := send(withID, http.MethodGet); c != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", c)
	}
	// The dedup set is bounded: old keys are forgotten, memory stays put.
	for i := range webhookSeen + 10 {
		h.firstSeen(strconv.Itoa(i))
	}
	if len(h.seen) != webhookSeen {
		t.Fatalf("dedup set holds %d keys, want %d", len(h.seen), webhookSeen)
	}
	if !h.firstSeen("0") || h.firstSeen(strconv.Itoa(webhookSeen+9)) {
		t.Fatal("eviction order wrong")
	}
}

// TestSandboxWebhookDelivery: the sandbox signs (scheme A) and delivers an event when the
// customer pays; the receiver verifies it and hints the driver.
func TestSandboxWebhookDelivery(t *testing.T) {
	var hs hints
	wh := NewWebhookHandler(sandbox.DemoWebhookSecret, hs.hint, nil)
	hook := httptest.NewServer(wh)
	defer hook.Close()
	e := newEnv(t, VariantOAuth, func(c *Config, so *sandbox.Options) {
		c.WebhookURL = hook.URL + "/webhooks/acountpay"
		so.DeliverWebhooks = true
	})
	wh.now = e.clock.Now // the receiver on the sandbox's clock
	pay := e.payment("W-1", 1234)
	u, err := e.p.Start(context.Background(), pay, (&saver{}).save)
	if err != nil {
		t.Fatal(err)
	}
	openURL(t, u.QR)
	e.sb.Wait()
	if got := hs.list(); len(got) != 1 || got[0] != "W-1/"+u.ProviderID {
		t.Fatalf("hints %v", got)
	}
	if _, err := e.p.WebhookHandler(nil); err != nil {
		t.Fatal(err)
	}
}
