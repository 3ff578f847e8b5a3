package sandbox

import (
	"fmt"
	"strings"
)

// Instructions returns what a technician needs to point a real terminal at a sandbox
// listening at baseURL (e.g. "http://192.168.1.20:8700"): the API base URL, the demo
// credentials it accepts, the currencies it offers, how to "pay", and a configuration
// snippet for terminald.toml. `terminald sandbox --provider cryptogw` can print it.
func Instructions(baseURL string) string {
	base := strings.TrimSuffix(baseURL, "/")
	var b strings.Builder
	fmt.Fprintf(&b, "API base URL:  %s/v2/\n", base)
	fmt.Fprintf(&b, "Credentials:   username %q, API key %q, pos_id %q (HTTP Basic)\n", DemoUsername, DemoAPIKey, DemoPosID)
	fmt.Fprintf(&b, "Currencies:    BTC, ETH, LTC (XMR listed as disabled)\n")
	fmt.Fprintf(&b, "Pay:           open %s/pay?payment_id=ID&currency=BTC, or POST %s/sandbox/pay?address=ADDRESS[&amount=X]\n", base, base)
	fmt.Fprintf(&b, "\n# terminald.toml\n[providers]\nenabled = [\"cryptogw\"]\n\n[cryptogw]\n")
	fmt.Fprintf(&b, "base_url = %q\nusername = %q\napi_key = %q\npos_id = %q\ncurrencies = [\"BTC\"]\n",
		base+"/v2/", DemoUsername, DemoAPIKey, DemoPosID)
	return b.String()
}
