// Package accrue drives payments through Accrue wallets (the Accrue Merchant API, USD
// cents, JSON:API) for the terminald payment flow. An in-memory sandbox of that API for
// tests and the simulator lives in the subpackage accrue/sandbox, so the production daemon
// does not link it.
//
// # In-store flow
//
// The cashier picks "Scan wallet code" or "Phone number" (Config.Methods may fix one).
// Scan: the wallet code shown in the customer's Accrue app is read by a barcode scanner
// (a USB HID keyboard) or keyed in; it is sent as lookUpId. Phone: the wallet is found with
// List Wallets filter[phoneNumber] and sent as walletId. Then:
//
//	POST /api/v1/payment-intents {amount, walletId|lookUpId, reference, idempotencyKey}
//	POST /api/v1/payment-intents/{id}/authorize {amount, reference, channel} → a Payment (Created)
//	POST /api/v1/payments/{id}/capture {amount}           → Processing (→ Sent), 402 if declined
//
// Processing and Sent count as paid. Every id is saved into driver.Payment.Data as soon as
// it is known, and a marker before each money-moving call, so Check resumes after a crash
// at any point. There is no QR code for Accrue.
//
// # Live shapes (Accrue's published OpenAPI files)
//
// Source: Accrue's OpenAPI 3 files for the Merchant API as mirrored in the repository
// api-evangelist/accrue-savings (openapi/accrue-savings-payment-intents-api-openapi.yml,
// ...-payments-api-openapi.yml, ...-wallets-api-openapi.yml), read 2026-11-30. Every body is
// a JSON:API document (media type application/vnd.api+json) with the resource in "data";
// amounts are integer cents (int32); times are RFC 3339 strings. Headers on every call:
// Client-ID (uuid) and Authorization: Bearer <client secret>. The golden fixtures under
// testdata/live/ are written from these field lists (types as listed); testdata/seed/ holds
// the shapes the seed quick-start page and the earlier sandbox answered.
//
// Create payment intent, POST /api/v1/payment-intents. Request data.type
// "CreatePaymentIntent", attributes {amount int (required), walletId uuid | lookUpId
// string (exactly one)}; terminald also sends reference and idempotencyKey (the seed's
// idempotency attribute; the spec's CreatePaymentIntent lists neither, a live API that
// ignores unknown attributes is unaffected). Answers:
//   - 201 {data: PaymentIntent} where attributes.balance {available, eligibleReward,
//     upperLimit: int cents} is required;
//   - 400 InvalidAmountOrWalletIdentifier, 403 WalletAccessDenied (wallet of another
//     merchant), 404 WalletIdentifierNotFound (unknown lookUpId or walletId).
//
// PaymentIntent: id uuid, type "PaymentIntent", attributes {status one of Promotable,
// PromotedToPayment, Invalid, Expired, Canceled; error null | LinkedAccountUnverified,
// LinkedAccountDisconnected, LinkedAccountMissing, InsufficientBalance, MissingFullName,
// WrongEmail, InvalidKycStatus; amount int; reference string|null; walletId, userId,
// email, fullName, phoneNumber string|null; expiresAt date-time|null; billingAddress
// object|null; balance (as above, optional outside create); createdAt, updatedAt},
// relationships.payments.data [{id, type "Payment"}].
//
// Get payment intent, GET /api/v1/payment-intents/{id}[?include=client,payments]: 200
// {data: PaymentIntent, included: [Payment]}; 404 NotFoundException.
//
// List payment intents, GET /api/v1/payment-intents: filter[initiator], filter[status],
// filter[paymentMethod], page[limit] 1..50 (default 10), page[offset], sort (default
// -createdAt), include required (client, payments, balance). 200 {data: [PaymentIntent],
// meta: {total, limit, offset}}; 400 BadRequest. No reference filter.
//
// Cancel payment intent, POST /api/v1/payment-intents/{id}/cancel, is on the seed page
// but not in the OpenAPI files; when Accrue answers it 404/405, an intent that was never
// authorized (it holds no money) is cancelled locally and never authorized afterwards.
//
// Authorize, POST /api/v1/payment-intents/{id}/authorize. Request (required) data.type
// "AuthorizePaymentIntent", attributes {amount int (required), reference string (cart or
// order id), channel string | {type App|Store, id}, risk {deviceSessionId}}, optional
// meta.processor. Answers:
//   - 201 {data: PaymentIntent (status PromotedToPayment), included: [Payment]}: the
//     Payment in included has attributes {id, status, amount (required), channel,
//     reference, disbursement[], charges{fee{amount, type}, rewards}, deductions,
//     expiresAt (required), createdAt, updatedAt}, links.virtualDebitCard, optional
//     meta.processor;
//   - a repeated authorize of an intent with an active payment returns that payment
//     without authorizing again (idempotent by intent);
//   - 402 code "Failed" (PaymentAuthorizationFailedException; the payment is marked
//     Failed), 403 code "Forbidden" (client/intent mismatch).
//
// Payment (get, list, capture, cancel, refund answers): id, type "Payment", attributes
// {id, status one of Canceled, Created, Failed, Processing, Returned, Sent (the payments
// guide adds Waiting during a capture's waiting period); amount int ("may differ from the
// initially intended amount"); channel, reference string|null; disbursement, charges,
// deductions; expiresAt, createdAt, updatedAt}, relationships {paymentIntent, captures,
// refunds}, links.virtualDebitCard.
//
//   - Get payment, GET /api/v1/payments/{id}[?include=paymentIntent,refunds]: 200 {data:
//     Payment, included}; 404 NotFoundException.
//   - List payments, GET /api/v1/payments: filter[status], filter[paymentIntentId],
//     filter[reference], filter[channel], page[limit] 1..50, page[offset], sort, include
//     required (paymentIntent, captures, refunds). 200 {data: [Payment], meta}.
//   - Create payment, POST /api/v1/payments: data.type "CreatePayment", attributes
//     {walletId uuid, amount int (both required), linkedAccountId, channel, reference,
//     externalPayments[], disbursement[]}: 200 {data: Payment}; 400 InvalidPayment; 402
//     declined. terminald does not use it (it needs the wallet id up front).
//   - Capture, POST /api/v1/payments/{id}/capture: data.type "CapturePayment", attributes
//     {amount int (required)}: 200 {data: Payment}; 402 capture failed.
//   - Cancel, POST /api/v1/payments/{id}/cancel: only Created or Waiting, full amount:
//     200 {data: Payment (Canceled), included: [PaymentIntent]}; 400; 404 PaymentNotFound.
//   - Refund, POST /api/v1/payments/{id}/refund: data.type "RefundPayment", attributes
//     {amount int, idempotencyKey string (required), disbursement[]}: 200 {data: Payment,
//     included: [Refund, PaymentIntent, Capture, Client], meta.message}; 400 InvalidRefund.
//     A refund with a known key returns the existing refund.
//   - Increase authorization, PATCH /api/v1/payments/{id}/increase-authorization
//     {increase}: 200 {data: Payment}; 402.
//
// Wallets: GET /api/v1/wallets/{walletId}[?include=user] (200, 400, 404 WalletNotFound,
// 500); GET /api/v1/wallets/barcode/{lookUpId} (400 expired or invalid, 404); the list
// with filter[phoneNumber] is the seed's (the phone path).
//
// Errors in the OpenAPI files are bare objects {id uuid, status int (the HTTP status),
// code string, title, detail, meta {environment "production"|"sandbox", timestamp,
// path}}; the seed page and JSON:API show {"errors": [...]} with status as a string.
// Both decode into *APIError.
//
// What the client accepts where the two disagree:
//   - authorize: the spec's 201 {data: PaymentIntent, included: [Payment]} and the older
//     200 {data: Payment, included: [PaymentIntent]};
//   - errors: bare object (integer or string status) and the errors array;
//   - statuses (intent, payment, refund) in any letter case ("sent", "SENT");
//   - the Payment's amount is checked against the sale: a Payment whose amount is not the
//     amount asked is never recorded as paid: Start/Check return an error wrapping
//     ErrAmountMismatch, which keeps the payment open (the engine asks again and shows
//     it), and nothing is captured. The error is a driver.Attentioner ("Amount differs
//     at Accrue"): the engine flags the payment (store.Payment.Attention).
//
// # Choices where Accrue's document is silent
//
//   - Idempotency: the document names idempotencyKey (a body attribute, 1..255 chars, kept
//     48 h) in its samples for deposits and as required for refunds. terminald sends it on
//     create payment intent (key "<payment id>:intent") and on refund (key = refund ID).
//     Authorize is idempotent by intent at Accrue (a repeat returns the existing
//     payment); capture and cancel take no key: before every retry of those the client
//     reads the payment and does not repeat a call that applied. Increase authorization is
//     never retried automatically.
//   - A crash between sending create payment intent and saving its id: Check lists the
//     newest 200 payment intents (sort=-createdAt) for the one whose reference is the
//     payment ID (intents have no reference filter); none → RemoteNotFound.
//   - Long (90 s) timeout: authorize, capture, increase authorization and refund. The
//     document says some calls need it without naming them; these move money.
//   - Retries: 5xx, 429, 408 and network errors only, exponential backoff with equal
//     jitter (RetryBase doubling up to RetryMax), MaxAttempts in all; a Retry-After of up
//     to RetryMax seconds is honoured. Exhausted retries, network failures and answers
//     that are not a usable JSON:API document (garbage, truncated, too large: 1 MiB cap)
//     wrap driver.ErrUnreachable: the outcome is unknown and the flow asks again.
//   - Unknown outcome of authorize or capture (a fault after the request may have reached
//     Accrue): the provider never gives up on the payment or cancels it; the next Check
//     reads the intent (and its payment) by id and either continues (capture) or repeats
//     the authorize, which Accrue answers with the existing payment. A payment fails only
//     on an answer that says so (a 4xx refusal other than 401/403/408/429, 402, an Invalid
//     intent, a Failed or Canceled payment); a 408 or 429 that outlasts the retries is an
//     unknown outcome like a 5xx. faults_test.go drives every fault kind (5xx, 429 with
//     Retry-After, resets before and after Accrue acted, truncated and garbage bodies) at
//     every call through a proxy and checks that the sale is paid and charged once.
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
package accrue
