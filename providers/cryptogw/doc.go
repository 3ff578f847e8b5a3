// Package cryptogw is the crypto payment gateway provider ("Open API" v2, as run by
// ForumPay): a Client for its HTTP API, a driver.Provider on top of it, a handler for its
// unsigned webhooks, and an in-process Sandbox that plays the gateway for tests and
// `terminald sim`.
//
// # Wire
//
// Every call is a GET to BaseURL + "<Endpoint>/" with HTTP Basic auth (username,
// API key) and pos_id, plus locale and user when configured. Amounts are decimal strings
// both ways: crypto amounts, rates and fees are Decimal (int64 scaled by 10^8, exact,
// more than 8 decimals is an error), invoice amounts are money.Amount in minor units
// ("48.25" EUR ↔ 4825). Replies may carry amounts as JSON strings or numbers; a field
// that does not parse fails the call with a *DecodeError naming it. An "err" element
// or a status other than 200 is an *APIError{Status, Err}; 5xx and 429 match
// driver.ErrUnreachable. Reads (GetRate, CheckPayment, GetCurrencyList, GetTransactions)
// are retried up to MaxAttempts on unreachable errors; StartPayment, CancelPayment,
// AcceptPayment and RefundPayment are sent once, and an unknown outcome (network error,
// timeout, 5xx, unreadable reply) wraps driver.ErrUnreachable so the caller checks first.
// Replies are limited to 1 MiB, webhooks to 64 KiB.
//
// # Choices where the documents are silent
//
//   - GetCurrencyList's reply shape is not documented: an array (or an object keyed by
//     symbol) of {currency, description, status, zero_confirmations_enabled}; a
//     currency is enabled when status is "OK" or absent.
//   - Currencies: Config.Currencies (in that order) intersected with the enabled ones;
//     empty means all the gateway offers. One currency is not asked for.
//   - Start takes a fresh GetRate (the quote shown may be seconds old) and saves its
//     payment_id, currency and the local expiry in Payment.Data before StartPayment.
//     reference_no is the local payment id. Payer IP and user agent are sent only when
//     Payment.Data holds "crypto.payer_ip" / "crypto.payer_user_agent" (a terminal has
//     neither). The QR is the "qr" URI (the bare address when missing).
//   - After a crash between StartPayment and storing its answer, Check finds the
//     address in GetTransactions (at most 20 pages of 100, newest first); when the id is
//     not listed it asks CheckPayment without an address, and a 404 then means the
//     gateway never got the start (RemoteNotFound). A 404 for a payment whose start was
//     answered is an error, never "not found".
//   - State mapping: confirmed=true → paid; cancelled → cancelled, or expired when the
//     terminal did not ask to cancel and the local expiry passed; underpayment →
//     underpaid (QR switches to underpayment.qr, or its address); processing →
//     pending "n/m confirmations"; blocked → pending "Blocked (KYT)"; waiting or empty →
//     pending; anything else → pending with the gateway's status text.
//   - Cancel: when CancelPayment refuses (any 4xx but 401/404, or cancelled=false) the
//     state is read with CheckPayment: already cancelled is fine, otherwise the error
//     is *CancelRefused ("funds on the way"), matching driver.ErrPaymentInProgress.
//   - Accept sends accepted_amount = the "payment" CheckPayment reports at that moment
//     and accepted_invoice_amount = invoice × payment / amount rounded down to minor
//     units; the payment is reported paid once AcceptPayment says success.
//   - Refunds are whole: RefundPayment must ask for refund_amount_opened (from
//     CheckPayment; the received payment when it reports none), so the refund's amount
//     must equal the payment's invoice amount (or the accepted amount). The destination
//     must pass ValidAddress. Refund progress (refund, refund_status) is read from
//     GetTransactions, the only place the document shows it; refund_status values are
//     not documented (see refundUpdate). A repeated Refund looks there first and does
//     not ask twice.
//   - GetTransactions times ("2006-01-02 15:04:05") carry no zone and are taken as UTC.
//   - Webhooks are hints only: the handler reads payment_id and calls back; the flow
//     then calls CheckPayment.
//
// # Sandbox
//
// NewSandbox plays every endpoint: rates walk ±0.1 % per GetRate from a seed, a
// transaction sent with Sandbox.Pay or POST /sandbox/pay gains one confirmation per
// ConfirmationInterval of its clock, short payments go to state underpayment at once
// (with a fresh underpayment address), cancel is refused once a full transaction is
// seen (allowed while waiting or underpaid), refunds complete after RefundWait, and
// faults (500, garbage, delay) can be injected. DemoConfig and the Demo* constants
// match its defaults.
package cryptogw
