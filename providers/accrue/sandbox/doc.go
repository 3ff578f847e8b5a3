// Package sandbox is an in-memory Accrue Merchant API (see package accrue) for tests, the
// simulator and a technician's bench. It lives apart from package accrue so that the
// production daemon does not link it.
//
// New serves the payment endpoints (payment intents, authorize, payments, capture,
// increase authorization, cancel, refund) plus wallets, payment listing and webhooks, with
// demo credentials (DemoClientID, DemoClientSecret, DemoWebhookSecret) and demo wallets.
// Config returns an accrue.Config pointing at it; Describe returns the text a technician
// needs (URL, demo credentials, demo wallets, a terminald.toml snippet). Serve it on a
// loopback address only.
//
// It plays the live shape of Accrue's published OpenAPI files by default and the seed
// quick-start page's shape with Options.Shape = ShapeSeed (the differences are listed at
// ShapeLive): authorize requires its AuthorizePaymentIntent body with amount (400
// without), answers 201 with the PaymentIntent as data and the Payment in included, and
// returns the existing payment when repeated; create payment intent carries balance;
// payments carry expiresAt; an unknown lookUpId or walletId is 404
// WalletIdentifierNotFound, another merchant's wallet (DemoForeignCode) 403
// WalletAccessDenied; page[limit] above 50 is capped; POST /api/v1/payments creates a
// payment straight from a wallet. It does not insist on include for lists.
//
// Its own choices: idempotency keys are scoped per operation; the same key with another
// request answers 422 IdempotencyKeyReused; state changes (expiry, Processing → Sent,
// refund Pending → Sent) happen lazily when a resource is read, on the injectable clock;
// webhooks go only to loopback URLs; POST /sandbox/faults injects failures (see Fault).
package sandbox
