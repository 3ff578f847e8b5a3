package cryptogw

// Demo credentials the sandbox (package sandbox) accepts by default, so that
// `terminald sim --provider cryptogw` runs without configuration. The sandbox keeps its
// own copy; a test asserts that they agree.
const (
	DemoUsername = "demo"
	DemoAPIKey   = "sandbox-demo-key"
	DemoPosID    = "POS1"
)

// DemoConfig returns a Config for a sandbox at baseURL with the demo credentials.
func DemoConfig(baseURL string) Config {
	return Config{BaseURL: baseURL, Username: DemoUsername, APIKey: DemoAPIKey, PosID: DemoPosID}
}
