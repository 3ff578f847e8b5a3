package sandbox

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
)

// Merchant is a merchant onboarded through POST /v1/partner/merchants.
type Merchant struct {
	ClientID        string // merchantClientId (a UUID)
	PartnerClientID string // the partner that created it
	CompanyName     string
	ContactEmail    string
	Status          string // "pending_onboarding" until its onboarding page is opened, then "active"
	OnboardingURL   string // absolute URL of the onboarding page
	CreatedAt       time.Time
}

// QR image sizes for GET /v1/partner/payments/{id}/qr?size=N (pixels, square).
const (
	defaultQRSize = 256
	minQRSize     = 64
	maxQRSize     = 1024
)

// Merchants returns copies of the merchants created through the API, in no order.
func (s *Sandbox) Merchants() []Merchant {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Merchant, 0, len(s.onboarding))
	for _, m := range s.onboarding {
		out = append(out, *m)
	}
	return out
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (s *Sandbox) merchantView(m *Merchant) map[string]any {
	return map[string]any{
		"merchantClientId": m.ClientID,
		"companyName":      m.CompanyName,
		"contactEmail":     m.ContactEmail,
		"status":           m.Status,
		"onboardingUrl":    m.OnboardingURL,
		"createdAt":        m.CreatedAt.UTC().Format(time.RFC3339),
	}
}

// handleCreateMerchant is POST /v1/partner/merchants {companyName, contactEmail} (seed
// 001). It answers 201 with the merchant and its onboardingUrl; the merchant takes
// payments once that page was opened. The same contactEmail again for the same partner
// answers 409 duplicate_merchant with the existing merchant (and its onboardingUrl).
func (s *Sandbox) handleCreateMerchant(w http.ResponseWriter, r *http.Request) {
	c, ok := s.authenticateAs(w, r, false)
	if !ok {
		return
	}
	var in struct {
		CompanyName  string `json:"companyName"`
		ContactEmail string `json:"contactEmail"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(&in); err != nil {
		sbError(w, http.StatusBadRequest, "invalid_request", "Body is not a JSON object")
		return
	}
	in.CompanyName = strings.TrimSpace(in.CompanyName)
	in.ContactEmail = strings.TrimSpace(in.ContactEmail)
	switch {
	case in.CompanyName == "":
		validation(w, "companyName", "companyName is required")
		return
	case utf8.RuneCountInString(in.CompanyName) > 200:
		validation(w, "companyName", "companyName is longer than 200 characters")
		return
	case in.ContactEmail == "":
		validation(w, "contactEmail", "contactEmail is required")
		return
	}
	if a, err := mail.ParseAddress(in.ContactEmail); err != nil || a.Address != in.ContactEmail {
		validation(w, "contactEmail", "contactEmail must be an e-mail address")
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	s.mu.Lock()
	for _, m := range s.onboarding {
		if m.PartnerClientID == c.client && strings.EqualFold(m.ContactEmail, in.ContactEmail) {
			out := s.merchantView(m)
			s.mu.Unlock()
			out["error"], out["message"] = "duplicate_merchant", "A merchant with this contactEmail already exists"
			writeJSON(w, http.StatusConflict, out)
			return
		}
	}
	var b [16]byte
	rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	m := &Merchant{
		ClientID: newUUID(), PartnerClientID: c.client, CompanyName: in.CompanyName, ContactEmail: in.ContactEmail,
		Status: "pending_onboarding", OnboardingURL: scheme + "://" + r.Host + "/onboarding/" + token, CreatedAt: s.opts.Now(),
	}
	s.onboarding[m.ClientID] = m
	s.byOnboard[token] = m
	out := s.merchantView(m)
	s.mu.Unlock()
	s.log.Info("merchant created", "merchant", m.ClientID, "company", m.CompanyName)
	writeJSON(w, http.StatusCreated, out)
}

// handleOnboard is the merchant's onboarding page: opening it completes onboarding.
func (s *Sandbox) handleOnboard(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	m := s.byOnboard[r.PathValue("token")]
	var company string
	if m != nil {
		m.Status = "active"
		s.merchants[m.ClientID] = m.PartnerClientID
		company = m.CompanyName
	}
	s.mu.Unlock()
	if m == nil {
		page(w, http.StatusNotFound, "AcountPay sandbox onboarding", "Unknown onboarding link", "This onboarding link is not valid.")
		return
	}
	page(w, http.StatusOK, "AcountPay sandbox onboarding", "Onboarding complete", company+" can now take AcountPay payments.")
}

// handleQR is GET /v1/partner/payments/{id}/qr (seed 000): a PNG of the payment's URL
// as a QR code, ?size= pixels (64..1024, default 256).
func (s *Sandbox) handleQR(w http.ResponseWriter, r *http.Request) {
	c, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	size := defaultQRSize
	if t := r.URL.Query().Get("size"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < minQRSize || n > maxQRSize {
			validation(w, "size", fmt.Sprintf("size must be an integer from %d to %d", minQRSize, maxQRSize))
			return
		}
		size = n
	}
	s.mu.Lock()
	p := s.lookup(w, c, r.PathValue("id"))
	var u string
	if p != nil {
		u = p.PaymentURL
	}
	s.mu.Unlock()
	if p == nil {
		return
	}
	code, err := qr.Encode(u, qr.M, qr.Auto)
	if err == nil {
		code, err = barcode.Scale(code, size, size)
	}
	var buf bytes.Buffer
	if err == nil {
		err = png.Encode(&buf, code)
	}
	if err != nil {
		sbError(w, http.StatusInternalServerError, "internal_error", "cannot render QR code")
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}
