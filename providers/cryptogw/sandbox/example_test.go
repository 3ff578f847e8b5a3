package sandbox_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/terminald/terminald/config"
	"github.com/terminald/terminald/providers/cryptogw"
	"github.com/terminald/terminald/providers/cryptogw/sandbox"
)

// What `terminald sandbox --provider cryptogw` can print for a technician.
func ExampleInstructions() {
	fmt.Print(sandbox.Instructions("http://192.168.1.20:8700"))
	// Output:
	// API base URL:  http://192.168.1.20:8700/v2/
	// Credentials:   username "demo", API key "sandbox-demo-key", pos_id "POS1" (HTTP Basic)
	// Currencies:    BTC, ETH, LTC (XMR listed as disabled)
	// Pay:           open http://192.168.1.20:8700/pay?payment_id=ID&currency=BTC, or POST http://192.168.1.20:8700/sandbox/pay?address=ADDRESS[&amount=X]
	//
	// # terminald.toml
	// [providers]
	// enabled = ["cryptogw"]
	//
	// [cryptogw]
	// base_url = "http://192.168.1.20:8700/v2/"
	// username = "demo"
	// api_key = "sandbox-demo-key"
	// pos_id = "POS1"
	// currencies = ["BTC"]
}

// The snippet is a configuration terminald accepts.
func TestInstructionsSnippetIsValidConfig(t *testing.T) {
	text := sandbox.Instructions("http://127.0.0.1:8700")
	_, snippet, _ := strings.Cut(text, "# terminald.toml\n")
	opts := config.Options{Providers: []config.ProviderSection{{Name: "cryptogw", New: func() config.Section { c := cryptogw.DefaultConfig(); return &c }}}}
	c, err := config.Parse([]byte(snippet), "snippet", opts)
	if err != nil {
		t.Fatalf("snippet refused: %v\n%s", err, snippet)
	}
	gw, _ := c.Provider["cryptogw"].(*cryptogw.Config)
	if gw == nil || gw.BaseURL != "http://127.0.0.1:8700/v2/" || gw.APIKey != sandbox.DemoAPIKey {
		t.Errorf("parsed %+v", c.Provider["cryptogw"])
	}
}
