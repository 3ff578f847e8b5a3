package acountpay

import (
	"fmt"
	"strings"

	"github.com/terminald/terminald/driver"
)

// statusWord is what one AcountPay status word means for a payment at the till.
type statusWord struct {
	word   string        // lower case, as matched (the API's words are matched case-insensitively)
	remote driver.Remote // what the engine is told
	detail string        // status line on the screen
	reason string        // for the cashier when the payment ends unpaid
	// attention: the word is known but no terminal can settle it by itself (money
	// came and went back, a settlement reversed): the payment stays open and polled,
	// and the screen and `status` say a person must look at it.
	attention bool
	source    string // where the word was seen: "seed", "plugin" or "token.io"
}

// statusWords is the one table of AcountPay status words. Sources: the Partner API
// seeds (pending, paid, completed, failed, expired; a POS guide adds scanned and
// processing) and AcountPay's own shop plugin PaywithAcount/AP-WP-Plugin
// (classify_backend_status: paid = paid, settled, completed, processed, authorized,
// success; failed = failed, rejected, failure_expired, cancelled, canceled; refunds =
// refunded, partially_refunded; a later settlement_incomplete reverses an order).
//
// Deliberate choices:
//   - authorized is paid, as the plugin decides: the bank has committed the payment and the
//     customer cannot take it back; a later reversal is a back-office matter (a webhook
//     reporting it is logged at warning level).
//   - failure_expired and expired end the payment as expired; cancelled/canceled (the
//     customer stopped at the bank), rejected and failed end it as failed, with a reason
//     the cashier can read.
//   - refunded, partially_refunded and settlement_incomplete on a payment the terminal
//     still waits for need a person: the payment is kept open and polled, and flagged.
//   - processing stays pending (the plugin calls it ambiguous: before or after the
//     authorization).
var statusWords = [...]statusWord{
	{word: "pending", remote: driver.RemotePending, detail: "Waiting for customer", source: "seed"},
	{word: "created", remote: driver.RemotePending, detail: "Waiting for customer", source: "plugin"},
	{word: "scanned", remote: driver.RemotePending, detail: "QR scanned", source: "seed"},
	{word: "processing", remote: driver.RemotePending, detail: "Bank processing", source: "seed"},
	{word: "paid", remote: driver.RemotePaid, detail: "Paid", source: "seed"},
	{word: "completed", remote: driver.RemotePaid, detail: "Paid", source: "seed"},
	{word: "success", remote: driver.RemotePaid, detail: "Paid", source: "plugin"},
	{word: "settled", remote: driver.RemotePaid, detail: "Paid", source: "plugin"},
	{word: "processed", remote: driver.RemotePaid, detail: "Paid", source: "plugin"},
	{word: "authorized", remote: driver.RemotePaid, detail: "Paid (authorized by bank)", source: "plugin"},
	{word: "failed", remote: driver.RemoteFailed, detail: "Failed", reason: "Bank payment failed", source: "seed"},
	{word: "rejected", remote: driver.RemoteFailed, detail: "Rejected", reason: "Rejected by the bank", source: "plugin"},
	{word: "cancelled", remote: driver.RemoteFailed, detail: "Cancelled", reason: "Cancelled at the bank", source: "plugin"},
	{word: "canceled", remote: driver.RemoteFailed, detail: "Cancelled", reason: "Cancelled at the bank", source: "plugin"},
	{word: "expired", remote: driver.RemoteExpired, detail: "Expired", reason: "Payment expired", source: "seed"},
	{word: "failure_expired", remote: driver.RemoteExpired, detail: "Expired", reason: "Payment expired", source: "plugin"},
	{word: "refunded", remote: driver.RemotePending, detail: "Needs attention: refunded at AcountPay", attention: true, source: "plugin"},
	{word: "partially_refunded", remote: driver.RemotePending, detail: "Needs attention: partly refunded at AcountPay", attention: true, source: "plugin"},
	{word: "settlement_incomplete", remote: driver.RemotePending, detail: "Needs attention: settlement incomplete", attention: true, source: "plugin"},
}

// lookupStatus finds s (case-insensitive, surrounding space ignored) in statusWords.
func lookupStatus(s string) (statusWord, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, w := range statusWords {
		if w.word == s {
			return w, true
		}
	}
	return statusWord{}, false
}

// resolveStatus reads a status answer: the high-level status, and, when that one says
// nothing final (pending or unknown), the finer internalStatus, as AcountPay's plugin
// does. known is false when neither word is in the table; the result then keeps the
// payment pending and asks for a person.
func resolveStatus(status, internal string) (w statusWord, known bool) {
	w, known = lookupStatus(status)
	if (!known || w.remote == driver.RemotePending && !w.attention) && strings.TrimSpace(internal) != "" {
		if iw, ok := lookupStatus(internal); ok && (iw.remote != driver.RemotePending || iw.attention || !known) {
			return iw, true
		}
	}
	if known {
		return w, true
	}
	return statusWord{
		word:      strings.ToLower(strings.TrimSpace(status)),
		remote:    driver.RemotePending,
		detail:    fmt.Sprintf("Needs attention: AcountPay status %q", printable(status, 24)),
		attention: true,
	}, false
}
