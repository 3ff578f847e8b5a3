// Package sandbox is an in-memory Accrue Merchant API (see package accrue) for tests, the
// simulator and a technician's bench. It lives apart from package accrue so that the
// production daemon does not link it.
//
// New serves the payment endpoints (payment intents, authorize, payments, capture,
// increase authorization, cancel, refund) plus wallets, payment listing and webhooks, with
// demo credentials (DemoClientID, DemoClientSecret, DemoWebhookSecret) and demo wallets.
// Config returns an accrue.Config pointing at it. Serve it on a loopback address only.
//
// Its own choices: idempotency keys are scoped per operation; the same key with another
// request answers 422 IdempotencyKeyReused; state changes (expiry, Processing → Sent,
// refund Pending → Sent) happen lazily when a resource is read, on the injectable clock;
// webhooks go only to loopback URLs; POST /sandbox/faults injects failures (see Fault).
package sandbox
