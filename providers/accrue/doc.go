// Package accrue drives payments through Accrue wallets (the Accrue Merchant API, USD
// cents, JSON:API) for the terminald payment flow, and ships an in-memory sandbox of that
// API for tests and the simulator.
//
// # In-store flow
//
// The cashier picks "Scan wallet code" or "Phone number" (Config.Methods may fix one).
// Scan: the wallet code shown in the customer's Accrue app is read by a barcode scanner
// (a USB HID keyboard) or keyed in; it is sent as lookUpId. Phone: the wallet is found with
// List Wallets filter[phoneNumber] and sent as walletId. Then:
//
//	POST /api/v1/payment-intents {amount, walletId|lookUpId, reference, idempotencyKey}
//	POST /api/v1/payment-intents/{id}/authorize          → a Payment (Created)
//	POST /api/v1/payments/{id}/capture {amount}           → Processing (→ Sent), 402 if declined
//
// Processing and Sent count as paid. Every id is saved into driver.Payment.Data as soon as
// it is known, and a marker before each money-moving call, so Check resumes after a crash
// at any point. There is no QR code for Accrue.
//
// # Choices where Accrue's document is silent
//
//   - Idempotency: the document names idempotencyKey (a body attribute, 1..255 chars, kept
//     48 h) in its samples for deposits and as required for refunds. terminald sends it on
//     create payment intent (key "<payment id>:intent") and on refund (key = refund ID),
//     and nowhere else. Authorize, capture and cancel take none: before every retry of
//     those the client reads the intent or payment and does not repeat a call that applied.
//     Increase authorization is never retried automatically.
//   - A crash between sending create payment intent and saving its id: Check lists the
//     newest 200 payment intents (sort=-createdAt) for the one whose reference is the
//     payment ID (Accrue has no reference filter); none → RemoteNotFound.
//   - Long (90 s) timeout: authorize, capture, increase authorization and refund. The
//     document says some calls need it without naming them; these move money.
//   - Retries: 5xx, 429, 408 and network errors only, exponential backoff with equal
//     jitter (RetryBase doubling up to RetryMax), MaxAttempts in all. Retry-After is not
//     read (the document does not mention it). Exhausted retries, network failures and
//     answers that are not a usable JSON:API document (garbage, too large: 1 MiB cap)
//     wrap driver.ErrUnreachable: the outcome is unknown and the flow asks again.
//   - Error bodies: both {"errors":[...]} (JSON:API) and a bare error object (as the
//     document's samples show) decode into *APIError; status may be string or number.
//   - Payment status "Authorized" (seen in samples) is treated like Created; "Complete"
//     like Sent.
//   - Get payment asks include=captures,refunds; the refund answer's new refund is the last
//     one in relationships.refunds that is included.
//   - Refund states: Pending/Waiting → driver.RefundSent, Sent → RefundDone, Failed →
//     RefundFailed. A 4xx refusal (other than 401/403/409) is a failed refund.
//   - Phone numbers keyed as 10 digits get "+1" (US); others get "+" prepended.
//   - Only USD is accepted.
//   - Webhooks: the body is verified (x-accrue-signature, hex HMAC-SHA256 of the raw body),
//     parsed as a WebhookEvent at top level or under "data", and every included resource's
//     id (and a payment's paymentIntent id) is passed to the hint callback. A webhook is a
//     hint; the truth comes from Check.
//
// # Sandbox
//
// NewSandbox serves the endpoints above plus wallets, payment listing and webhooks, with
// demo credentials (DemoClientID, DemoClientSecret, DemoWebhookSecret) and demo wallets.
// Its own choices: idempotency keys are scoped per operation; the same key with another
// request answers 422 IdempotencyKeyReused; errors use {"errors":[...]}; state changes
// (expiry, Processing → Sent, refund Pending → Sent) happen lazily when a resource is
// read, on the injectable clock; webhooks go only to loopback URLs; POST /sandbox/faults
// injects failures (see Fault).
package accrue
