package screen

import (
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"time"
)

// Sizes lists the display sizes the layouts are tuned for, as width×height.
var Sizes = [][2]int{{240, 320}, {240, 240}, {320, 240}}

// SamplePaymentURL is the QR payload used by the sample screens.
const SamplePaymentURL = "https://pay.example.com/i/7Hq2ZkP9xRw4"

// Samples returns one realistic Screen for every Kind, with deadlines relative
// to now.
func Samples(now time.Time) []Screen {
	st := Status{Online: true, Printer: "ok", Terminal: "T-0042"}
	return []Screen{
		{Kind: Idle, Title: "Café Lindenhof", Lines: []string{"Ready for payments", "Lindenstraße 12, Berlin"}, Status: st, Hint: "Enter an amount to start"},
		{Kind: Amount, Title: "Amount", Amount: "12.34 EUR", Status: st, Hint: "OK = continue  X = clear"},
		{Kind: Choose, Title: "Pay with", Amount: "12.34 EUR", Options: []string{"Bitcoin Lightning", "PayPal QR", "Crypto gateway", "Swish"}, Status: st, Hint: "Press 1-4  X = back"},
		{Kind: Input, Title: "Phone number", Lines: []string{"Key the customer's phone number", "+46 70 123 45"}, Amount: "12.34 EUR", Status: st, Hint: "OK = send  X = cancel"},
		{Kind: Wait, Title: "Please wait", Lines: []string{"Contacting the provider…"}, Provider: "Lightning", Status: st},
		{Kind: QR, Title: "Scan to pay", Amount: "12.34 EUR", Provider: "Lightning", QR: SamplePaymentURL, Deadline: now.Add(4*time.Minute + 59*time.Second), Status: st, Hint: "X = cancel"},
		{Kind: Paid, Title: "Paid", Amount: "12.34 EUR", Provider: "Lightning", Lines: []string{"Thank you!", "Ref 8F3A-22C1"}, Status: st, Hint: "Receipt is printing"},
		{Kind: Failed, Title: "Payment failed", Amount: "12.34 EUR", Lines: []string{"Declined by the provider: insufficient funds"}, Status: st, Hint: "OK = try again  X = abort"},
		{Kind: Expired, Title: "Expired", Amount: "12.34 EUR", Lines: []string{"The customer did not pay in time"}, Status: st, Hint: "OK = new QR  X = abort"},
		{Kind: Cancelled, Title: "Cancelled", Amount: "12.34 EUR", Lines: []string{"No money was taken"}, Status: st, Hint: "OK = continue"},
		{Kind: Decision, Title: "Underpaid", Amount: "11.90 EUR of 12.34 EUR", Lines: []string{"The customer paid 0.44 EUR too little"}, Options: []string{"Accept", "Cancel and refund"}, Deadline: now.Add(90 * time.Second), Status: st, Hint: "1 = accept  2 = cancel"},
		{Kind: Offline, Title: "Offline", Lines: []string{"Provider unreachable", "New payments are refused until the network is back"}, Status: Status{Online: false, Printer: "ok", Terminal: "T-0042"}},
		{Kind: Message, Title: "Printer", Lines: []string{"Paper out", "The receipt prints when paper is loaded"}, Status: Status{Online: true, Printer: "paper out", Terminal: "T-0042"}, Hint: "OK = continue"},
		{Kind: Admin, Title: "Admin", Options: []string{"Reprint last receipt", "Daily summary", "Recent payments", "Network status", "Test print", "About"}, Status: st, Hint: "Press a number  X = exit"},
	}
}

// WriteSizes renders s at every size in Sizes into dir as PNG files named
// <name>-<w>x<h>.png, creating dir if needed.
func (r *Renderer) WriteSizes(dir, name string, s Screen, now time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("screen: write screens: %w", err)
	}
	for _, sz := range Sizes {
		img := r.Render(s, sz[0], sz[1], now)
		file := filepath.Join(dir, fmt.Sprintf("%s-%dx%d.png", name, sz[0], sz[1]))
		f, err := os.Create(file)
		if err != nil {
			return fmt.Errorf("screen: write screens: %w", err)
		}
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(f, img)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("screen: write %s: %w", file, err)
		}
	}
	return nil
}
