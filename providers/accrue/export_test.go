package accrue

import (
	"context"
	"net/http"
)

// Internals the external tests (package accrue_test, which may import the sandbox) use.
var DecodeAPIError = decodeAPIError

// Keys of driver.Payment.Data the external tests inspect.
const (
	DataKeyWallet    = keyWallet
	DataKeyIntentKey = keyIntentKey
	DataKeyIntent    = keyIntent
	DataKeyPayment   = keyPayment
	DataKeyCapture   = keyCapture
)

// PostForTest posts a JSON:API document of type typ with attrs to path, without the
// checks the typed calls make.
func (cl *Client) PostForTest(ctx context.Context, path, typ string, attrs any) error {
	_, err := cl.do(ctx, call{op: "test post", method: http.MethodPost, path: path, body: reqDoc(typ, "", attrs)})
	return err
}
