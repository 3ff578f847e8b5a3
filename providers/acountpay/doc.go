// Package acountpay drives AcountPay account-to-account bank payments (Denmark, DKK):
// the terminal creates a payment, shows its payment URL as a QR code, the customer scans
// it and pays from their bank app, and the terminal polls the payment's status.
//
// Two published versions of the Partner API disagree; both are supported and chosen with
// Config.Variant:
//
//   - "oauth" (seeds 000/002): POST /oauth/token (form body, client credentials) gives a
//     Bearer token; API calls send "Authorization: Bearer" and "X-Merchant-Client-Id";
//     status is GET /v1/partner/payments/{id}.
//   - "partner" (seed 001): API calls send "X-Partner-Client-Id" and
//     "X-Partner-Client-Secret"; the create body carries "merchantClientId"; status is
//     GET /v1/partner/payments/{id}/status.
//
// Both create with POST /v1/partner/payments and find payments with
// GET /v1/partner/payments?merchantClientId=&page=&limit=.
//
// # Choices where the documents are silent
//
//   - Config.BaseURL is the host root (https://api.acountpay.com). A trailing "/v1" or
//     "/v1/partner" (as the documents write some base URLs) is stripped.
//   - An empty Variant means "oauth".
//   - The amount goes on the wire as a JSON number in major units built from the integer
//     minor units with money.FormatDecimal (never a float): 14999 DKK is 149.99. The currency
//     is always sent (the API defaults to DKK).
//   - The payment's ID (driver.Payment.ID) is the referenceNumber. Description is
//     Config.Description when set, else omitted.
//   - Both "paymentUrl" and "qrCodeUrl" are accepted in answers; the QR shows that URL. An
//     answer wrapped in {"data": {...}} or {"payment": {...}} is also accepted. Payment ids
//     may be JSON numbers or strings.
//   - Status words are matched case-insensitively against one table (statusWords in
//     status.go), which says for each word whether it is paid, failed, expired or needs a
//     person: see "Status vocabulary" below. A word not in the table is never guessed: the
//     payment stays pending and polled, Update.Detail says "Needs attention: AcountPay
//     status "…"" and Update.Attention carries the reason (the engine flags the payment:
//     screen, `terminald status`, `terminald payments`), and the word is logged once per
//     payment, not on every poll.
//   - When an answer carries an amount or currency that differ from the payment's, or an
//     amount that is not an exact amount of the currency (more decimals than it has, as
//     "1.499" for DKK; an exponent; text), Check returns an error wrapping
//     ErrAmountMismatch instead of a state: such an answer is never reported as paid, and
//     the payment stays open. Amounts are read as JSON numbers or strings ("149.99").
//   - Token: cached until 300 s before expires_in (tokens living 300 s or less are cached
//     for half their life; a missing expires_in counts as the documented 3600 s). A 401 on
//     an API call drops the token, fetches a new one and retries the call once. The cache
//     uses the monotonic clock, so a wall-clock jump after NTP sync does not break it.
//   - Retries: 429 is retried honouring Retry-After (seconds or HTTP date; an absent header
//     means exponential backoff; a wait longer than Config.MaxRetryAfter gives up at once);
//     5xx and transport errors are retried for reads and the token only. The create call is
//     not blindly repeated: after an unknown outcome Start first looks the payment up by
//     reference and only creates again when it is not there. Every attempt has its own
//     deadline (Config.Timeout). Exhausted retries, timeouts and transport errors wrap
//     driver.ErrUnreachable; so do unreadable answers to the create call (the outcome is
//     unknown). An unreadable answer to a read (status, the lookup by reference: garbage,
//     a truncated or oversized body, no status) is a fault, not an answer: it is asked
//     again like a 5xx and, unreadable every time, wraps both ErrBadResponse and
//     driver.ErrUnreachable, so a payment never fails on it (issue 17: a garbage answer
//     to the lookup after a lost create answer used to fail a payment AcountPay held as
//     pending). Ask, then retry: after an unknown create outcome Start asks by reference;
//     it creates again with the same referenceNumber only when the list says the payment
//     is not there, and returns the unknown outcome when the asking itself fails.
//   - Crash safety: Start sets Data["create_sent"]="1" and saves before the POST; a Start
//     that finds it set looks the payment up by reference first. A 409 answer to the create
//     (duplicate referenceNumber) is resolved the same way. Check with no ProviderID walks
//     at most Config.MaxListPages pages of the list; not found there (list exhausted) is
//     driver.RemoteNotFound, a bound reached wraps driver.ErrUnreachable (outcome still
//     unknown).
//   - A payment found by reference whose status answer carries no URL cannot be shown: Start
//     then returns ErrNoPaymentURL (the payment expires at the provider by itself).
//   - Expiry: the documents say 30 min (a POS guide says 5); Config.Expiry, default 30 min,
//     sets Update.ExpiresAt from the create time unless the answer carries "expiresAt".
//   - No cancel endpoint is published: Cancel returns driver.ErrCannotCancel. Ping lists one
//     payment (an authenticated call that also checks the merchant id).
//   - Error bodies: "message", "error" (string or {code, message}), "error_description",
//     "errors" (strings or {field, message}) and "code" are all read into *APIError. Secrets
//     and tokens are redacted from every error text; nothing secret is logged.
//
// # What AcountPay's own shop plugin shows (PaywithAcount/AP-WP-Plugin)
//
// AcountPay's WooCommerce plugin talks to AcountPay's e-commerce API, not the Partner API,
// so its endpoints are not ours; its status words, webhook bodies and signature are the
// live service's own and the client follows them. Read from its source (facts only):
//
//   - Endpoints: POST /v1/sdk/v2/payment-link {clientId, amount (major units, a number),
//     referenceNumber, redirectUrl, description?, currency?, webhookUrl?,
//     posBankCountryCode?} with an Idempotency-Key header, answering {paymentId,
//     redirectUrl or authorizationUrl}; GET /v1/notifications/transaction-status
//     ?referenceNumber= answering an object with status (and internalStatus);
//     GET /v1/banks/public/logos?country=FI answering {banks:[{bankId, name, logoUrl}]}
//     (public, throttled at 60 a minute; the plugin's connection check). The API is
//     versioned by URI (/v1/...). An answer that is not a JSON object is an error.
//   - Error bodies: message, error (a string or {message}), errors[] (strings, {message}
//     or {msg}), data.message. The client reads all but data.message and msg (never seen
//     on the Partner API).
//   - Webhook: a flat JSON body {eventId, event (default payment.status_changed),
//     referenceNumber, paymentId, status, internalStatus, amount, currency,
//     refundedAmount} signed "X-AcountPay-Signature: sha256=<hex HMAC-SHA256(raw body)>"
//     with the merchant's signing secret; no timestamp header. The plugin also reads the
//     misspelt X-AccountPay-Signature. Duplicates are recognised by eventId. Answers: 401
//     for a bad signature, 400 for a body that is not JSON, 200 otherwise (also for a
//     duplicate). Delivery is retried by AcountPay on 5xx.
//   - Status vocabulary (the plugin's classify_backend_status): paid = paid, settled,
//     completed, processed, authorized, success; failed = failed, rejected,
//     failure_expired, cancelled, canceled; refunded = refunded, partially_refunded;
//     anything else is pending. When status says pending, internalStatus (Token.io's
//     finer word, e.g. authorized) decides. A later settlement-incomplete reverses an
//     order it marked paid. Amount and currency in a notification are checked against the
//     order before it is marked paid.
//
// # Status vocabulary
//
// The table in status.go, one row per word (sources: seeds and plugin):
//
//	pending, created, scanned, processing            → pending (Detail says which)
//	paid, completed, success, settled, processed     → paid
//	authorized                                       → paid (the bank committed, as the plugin decides)
//	failed, rejected, cancelled, canceled            → failed, with a reason for the cashier
//	expired, failure_expired                         → expired
//	refunded, partially_refunded, settlement_incomplete → pending, needs a person
//	anything else                                    → pending, needs a person, logged once
//
// internalStatus is read when status is pending or unknown.
//
// # Webhooks
//
// WebhookHandler reads both body shapes (nested seed shape, flat plugin shape; see
// ParseWebhook) and verifies the three published signature schemes with the webhook secret
// (see its doc), deduplicates events and only hints the flow: polling stays the source of
// truth. It is off unless wired to an HTTP server.
//
// # Onboarding
//
// Partner (NewPartner) makes the partner-level call of seed 001: CreateMerchant sends
// POST /v1/partner/merchants {companyName, contactEmail} with the partner credentials (no
// MerchantClientID needed; the oauth variant sends no X-Merchant-Client-Id then) and reads
// {merchantClientId (or merchantId, id), status, onboardingUrl}. The seed names only
// onboardingUrl; the rest is read when present. A 409 carrying an onboardingUrl (the same
// e-mail again, as the sandbox answers) is taken as the existing merchant. The call is not
// repeated after an unknown outcome. `terminald acountpay onboard` uses it.
//
// # Sandbox
//
// The in-memory AcountPay server for tests, the simulator and technicians lives in the
// subpackage providers/acountpay/sandbox (it is not linked into code that does not import
// it); see sandbox.New.
package acountpay
