package sandbox_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/terminald/terminald/providers/acountpay/sandbox"
)

// Example onboards a merchant at the sandbox with the demo partner credentials: the
// merchant takes payments once its onboarding page was opened.
func Example() {
	srv := httptest.NewServer(sandbox.New(sandbox.Options{}))
	defer srv.Close()
	post := func(path, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Partner-Client-Id", sandbox.DemoClientID)
		req.Header.Set("X-Partner-Client-Secret", sandbox.DemoClientSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := post("/v1/partner/merchants", `{"companyName":"Restaurant XYZ","contactEmail":"owner@restaurant-xyz.dk"}`)
	fmt.Println(code, strings.Contains(body, `"status":"pending_onboarding"`), strings.Contains(body, `"onboardingUrl":"`+srv.URL+`/onboarding/`))
	// Output: 201 true true
}
