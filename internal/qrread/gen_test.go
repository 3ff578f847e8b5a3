package qrread

import (
	"fmt"
	"image"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/terminald/terminald/screen"
)

// Display sizes the terminal supports.
var sizes = [][2]int{{240, 320}, {240, 240}, {320, 240}}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
const bech = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
const hexd = "0123456789abcdef"

func pick(r *rand.Rand, set string, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(set[r.IntN(len(set))])
	}
	return b.String()
}

// payload returns a QR payload of one of the providers' kinds: an
// AcountPay bank-page URL, an Accrue wallet payload (wallet id or code), a
// crypto-gateway BIP21-style payment URI.
func payload(r *rand.Rand, kind int) string {
	switch kind {
	case 0: // AcountPay: the bank page's https URL with a token
		return fmt.Sprintf("https://pay.acountpay.com/pay/%s", pick(r, alnum, 16+r.IntN(48)))
	case 1: // Accrue: a wallet id or demo-style wallet code
		if r.IntN(2) == 0 {
			return fmt.Sprintf("%s-%s-4%s-9%s-%s", pick(r, hexd, 8), pick(r, hexd, 4), pick(r, hexd, 3), pick(r, hexd, 3), pick(r, hexd, 12))
		}
		return "ACCRUE-" + strings.ToUpper(pick(r, alnum, 8+r.IntN(24)))
	}
	amount := fmt.Sprintf("%d.%08d", r.IntN(3), r.IntN(100000000))
	switch r.IntN(3) {
	case 0:
		return "bitcoin:bc1q" + pick(r, bech, 38) + "?amount=" + amount
	case 1:
		return "ethereum:0x" + pick(r, hexd, 40) + "?amount=" + amount
	}
	return "litecoin:ltc1q" + pick(r, bech, 38) + "?amount=" + amount
}

var providers = []string{"AcountPay", "Accrue", "ForumPay"}

// qrScreen is a QR screen as the flow shows it, with a random amount,
// status lines and countdown.
func qrScreen(r *rand.Rand, kind int, now time.Time) screen.Screen {
	s := screen.Screen{Kind: screen.QR, Title: "Scan to pay", Amount: fmt.Sprintf("%d.%02d EUR", r.IntN(2000), r.IntN(100)),
		Provider: providers[kind], QR: payload(r, kind), Deadline: now.Add(time.Duration(r.IntN(900)) * time.Second),
		Hint: "X = cancel"}
	switch kind {
	case 0:
		s.Lines = []string{"Waiting for customer"}
	case 2:
		s.Lines = []string{fmt.Sprintf("0.%08d BTC", r.IntN(100000000)), "Waiting for payment"}
	}
	return s
}

// screens calls f with n rendered QR screens per display size and payload kind.
func screens(n int, f func(s screen.Screen, img image.Image, w, h int)) {
	rd, err := screen.NewRenderer()
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(1, 2))
	for _, sz := range sizes {
		for kind := range 3 {
			for range n {
				s := qrScreen(r, kind, now)
				f(s, rd.Render(s, sz[0], sz[1], now), sz[0], sz[1])
			}
		}
	}
}
