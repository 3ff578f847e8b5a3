// Package cryptogw is the crypto payment gateway provider ("Open API" v2, as run by
// ForumPay): a Client for its HTTP API, a driver.Provider on top of it and a handler for
// its unsigned webhooks. The sandbox that plays the gateway for tests and `terminald sim`
// lives in the subpackage sandbox, so that the production daemon does not link it.
//
// # Wire
//
// Every call but StartPayment is a GET to BaseURL + "<Endpoint>/" with HTTP Basic auth
// (username, API key) and pos_id, plus locale and user when configured; StartPayment is a
// POST with the same parameters as a multipart form, as the official client sends it. Amounts are decimal strings
// both ways: crypto amounts, rates and fees are Decimal (int64 scaled by 10^8, exact,
// more than 8 decimals is an error), invoice amounts are money.Amount in minor units
// ("48.25" EUR ↔ 4825). Replies may carry amounts and counts as JSON strings or numbers;
// a field that does not parse fails the call with a *DecodeError naming it. An "err"
// element or a status other than 200 is an *APIError{Status, Err}; 5xx and 429 match
// driver.ErrUnreachable. Reads (GetRate, CheckPayment, GetCurrencyList, GetTransactions)
// are retried up to MaxAttempts on unreachable errors; CancelPayment, AcceptPayment and
// RefundPayment are sent once, and an unknown outcome (network error, timeout, 5xx,
// unreadable reply) wraps driver.ErrUnreachable so the caller checks first. StartPayment
// is sent again only after a check (see Faults below). Replies are limited to 1 MiB,
// webhooks to 64 KiB.
//
// # Live shapes (source: the gateway's official PHP client)
//
// The quick-start document in the seeds shows a simplified API. The gateway's own PHP
// client (forumpay/payment-gateway-php-client, v1.6: src/PaymentGatewayApi.php, the
// Response classes and the recorded replies under tests/integration/.../fixtures) and its
// WooCommerce plugin show what the live service sends and expects. Read there, written
// down here in our words; where the two disagree the client accepts both.
//
// Transport. The official client sends StartPayment (and RequestKyc) as a POST whose
// body is a multipart form (curl with an array as CURLOPT_POSTFIELDS); every other call is
// a GET with a query. It uses curl's CURLAUTH_ANY, so it sends Basic credentials only
// after a 401 that carries "WWW-Authenticate: Basic realm=...". On a non-2xx status it
// reads "err" (and "err_code", "additional") from a JSON body when there is one; a 2xx
// body with an "err" key is an error too. It sends locale (default "en-GB") on every call.
//
// Endpoints, parameters the official client sends, and the reply fields it reads with
// the JSON types of the recorded live replies ("s" string, "s?" string or null, "n"
// number, "b" bool; "s|n" the client casts either):
//
//	Ping             GET   [webhook_url]            → result:"pong" (s), webhook_response (object, optional)
//	GetRate          GET   pos_id, invoice_currency, invoice_amount, currency,
//	                       accept_zero_confirmations, require_kyt_for_confirmation,
//	                       wallet_app_id, sid, locale, [user]
//	                 → invoice_currency s, invoice_amount s?, currency s, rate s?,
//	                   amount_exchange s?, network_processing_fee s, amount s?, wait_time s,
//	                   sid s?, fast_transaction_fee s?, fast_transaction_fee_currency s?,
//	                   payment_id s
//	StartPayment     POST (multipart) pos_id, invoice_currency, payment_id, invoice_amount,
//	                       currency, reference_no, accept_zero_confirmations,
//	                       payer_ip_address, payer_email, payer_id, auto_accept_underpayment,
//	                       auto_accept_underpayment_min, auto_accept_overpayment,
//	                       auto_accept_late_payment, payer_user_agent, wallet_app_id, sid,
//	                       require_kyt_for_confirmation, locale, [user, payer_kyc_pin,
//	                       webhook_url, on_success_redirect_url, on_failure_redirect_url,
//	                       auto_accept_overpayment_max, network_processing_fee_paid_by]
//	                 → the GetRate fields plus min_confirmations s|n, cancelled b (optional),
//	                   address s, qr s, qr_alt s, qr_img s, qr_alt_img s, print_string s?,
//	                   access_token s, access_url s, stats_token s, notices (array),
//	                   payment_id s, optional beneficiary_vasp_details, item_name,
//	                   invoice_surcharge_amount, invoice_amount_with_surcharge,
//	                   invoice_surcharge_percent
//	CheckPayment     GET   pos_id, currency, payment_id, address, locale, [user]
//	                 → reference_no s?, inserted s, invoice_amount s?, type s,
//	                   invoice_currency s, amount s?, original_amount s? (optional),
//	                   min_confirmations s|n ("1"), accept_zero_confirmations s|n|b ("1"),
//	                   require_kyt_for_confirmation s|n|b ("0"), currency s, confirmed b,
//	                   confirmed_time s?, reason s?, payment s? ("0.0000000": 7 decimals, or
//	                   null), sid s?, confirmations s ("0"), access_token s?, access_url s?,
//	                   wait_time s?, status s, unconfirmed_amount s? (optional),
//	                   unconfirmed_invoice_amount s? (optional), underpayment {address,
//	                   missing_amount, qr, qr_alt, qr_img, qr_alt_img: all s} (optional),
//	                   cancelled b (optional), cancelled_time s? (optional), print_string s?,
//	                   state s, item_name and the surcharge fields (optional)
//	CancelPayment    GET   pos_id, currency, payment_id, address, reason, comment, locale
//	                 → cancelled b, status s ("Cancelled")
//	GetCurrencyList  GET   invoice_currency, locale, [user]   (no pos_id)
//	                 → a bare array of {currency s, description s, status s ("OK"),
//	                   zero_confirmations_enabled s|n ("1"), currency_fiat s, icon_url s,
//	                   rate s?, sell_status s, sell_rate s?, buy_status s, buy_rate s?,
//	                   sell_/buy_ min_invoice_amount, max_invoice_amount,
//	                   network_processing_fee s?}
//	GetTransactions  GET   offset, limit, reference_no, locale, [user]   (no pos_id)
//	                 → an object {"invoices": [...]}; the client refuses any other shape.
//	                   Each invoice: state s, status s, status_loc s, pos_id s,
//	                   invoice_currency s, invoice_amount s?, currency s, amount s?,
//	                   amount_exchange s?, network_processing_fee s, address s, type s,
//	                   type_loc s, payment s? (null while waiting), refund s? (""),
//	                   refund_amount_opened s|n? (""), refund_status s?, refund_status_loc s?,
//	                   invoice_date s?, inserted s, confirmed s? (a time), cancelled s? (a
//	                   time), double_spending_alert s?, accept_zero_confirmations b,
//	                   item_name s?, access_token s?, sid s?, payment_id s?,
//	                   customer_details (optional object). No reference_no field: the
//	                   reference_no parameter filters instead.
//	AcceptPayment, RefundPayment: not in the official client; only the seed documents them
//	                 (accepted_amount must equal CheckPayment's payment, refund_amount its
//	                 refund_amount_opened; replies {"success": true} and {"wait_time": s}).
//
// Seed shape vs live shape, and what the Client accepts:
//
//	GetTransactions reply    seed: bare array          live: {"invoices": [...]}     both
//	confirmations            seed: number              live: string                  both
//	min_confirmations        seed: number              live: string (or number)      both
//	payment                  seed: "0.00000000"        live: "0.0000000" or null     both (null = 0)
//	amounts                  seed: 8 decimals          live: 7 decimals or trimmed   both, text kept
//	cancelled                CheckPayment bool; GetTransactions a time or null       both
//	CancelPayment reply      seed: {cancelled}         live: {cancelled, status}     both
//	webhook body             seed: {event, payment_id, ...}  live: {payment_id, reference_no}
//	                         or a {"webhook_test": ...} probe                        all (probe answered 200)
//	GetCurrencyList reply    seed: undocumented        live: bare array              array or object
//
// The WooCommerce plugin takes CheckPayment's invoice_amount as the fiat amount actually
// paid and compares it with the order total (less: underpayment, more: overpayment);
// paid is status "confirmed" in any case, failed "cancelled". Its webhook reads
// payment_id and reference_no and then calls CheckPayment; a body with webhook_test is a
// probe it answers at once.
//
// # Money
//
// A CheckPayment with confirmed=true is not proof that the whole invoice was paid. What
// settled (Settled) is worked out from the reply:
//   - received: payment (null counts as nothing); asked: original_amount when present
//     (the crypto amount first asked, before an accepted underpayment changed amount),
//     else amount;
//   - when invoice_amount (in the payment's currency) is below the amount the terminal
//     asked, the gateway says it settled for less (an accepted or auto-accepted
//     underpayment): that is the settled amount;
//   - else when received < asked, the settled amount is invoice × received / asked,
//     rounded down to minor units;
//   - an underpayment the terminal accepted itself (AcceptPayment) settles for at most
//     the accepted invoice amount.
//
// Confirmed for less is reported RemotePaid with Update.Paid = the settled amount (the
// engine records it as Payment.Settled, shows it and prints it next to the amount asked),
// Reason "Underpaid", Detail "Underpaid: settled <amount>", and lines with received vs
// asked; the received crypto text is kept in the payment's data ("crypto.received"). Confirmed with nothing received
// (payment 0 or null) is a *SettlementError with a pending update: the payment stays
// open, is never paid, and the error names what the gateway said. Confirmed for more than asked (received > asked
// or invoice_amount above the amount asked) is paid with Update.Paid = what arrived (the
// invoice amount when above the amount asked, else the amount asked scaled by received /
// asked crypto), and flagged: Update.Attention "Overpaid: received <crypto>", Reason
// "Overpaid", lines with received vs asked, and the received crypto amount kept in the
// payment's data ("crypto.received", "crypto.overpaid"). Confirmed for less sets
// Update.Attention "Underpaid"; a *SettlementError is a driver.Attentioner ("Check with
// gateway: <problem>"). The engine records the flag as the payment's Attention, shows it
// and prints it. An invoice_currency other than the payment's is a *SettlementError too.
//
// AcceptPayment's accepted_amount and RefundPayment's refund_amount repeat the gateway's
// own text for that amount (CheckPayment's payment, refund_amount_opened) byte for byte:
// a live reply may carry 7 decimals or trimmed zeros, and the gateway compares the text.
//
// # Faults
//
// A 5xx, a 429 (its Retry-After is honoured, up to 30 s), a network error, a timeout, a
// truncated or unreadable reply all leave the outcome of a call unknown and match
// driver.ErrUnreachable; a payment fails only on an answer that says so.
//
// Ask, then retry: StartPayment is not sent again blindly. The payment_id it carries
// names a quote from GetRate; StartPayment turns that quote into a payment with an
// address. When its answer is lost the gateway may already have started the payment:
// sending the request again could be refused as a used quote (a false failure), or, on a
// gateway that does not treat the id as idempotent, open a second payment (a second
// address) for the same sale, one the customer may pay that the terminal never shows.
// Starting a new quote instead would certainly make a second payment if the first did start.
// So after such a fault Start asks first: GetTransactions by reference_no and
// CheckPayment by the quote's payment id. If the gateway has the payment, Start carries
// on with it (its address comes from GetTransactions, the QR is rebuilt from it). Only
// when the gateway answers that it has no such payment (404 without an address) is the
// very same request sent again, with the same payment id; at most MaxAttempts sends. When
// even the asking fails, Start returns the unknown outcome (driver.ErrUnreachable) and
// the engine keeps asking with Check. The client never retries StartPayment itself, and
// a call that moves money (StartPayment, CancelPayment, AcceptPayment, RefundPayment) is
// sent so that net/http's Transport cannot replay it on its own after a broken
// connection (see Client.once).
//
// Caches keep no failures: GetCurrencyList is cached for CurrencyCacheTTL only when it
// lists at least one enabled currency. An empty list, null or an error is not cached (the
// next payment asks again); with a good list cached it is logged and the good list
// kept, without one the cashier sees the reason (ErrNoCurrencies or the error).
//
// # Choices where the documents are silent
//
//   - GetCurrencyList's reply: an array (or an object keyed by symbol) of {currency,
//     description, status, zero_confirmations_enabled}; a currency is enabled when status
//     is "OK" or absent.
//   - Currencies: Config.Currencies (in that order) intersected with the enabled ones;
//     empty means all the gateway offers. One currency is not asked for.
//   - Start takes a fresh GetRate (the quote shown may be seconds old) and saves its
//     payment_id, currency and the local expiry in Payment.Data before StartPayment.
//     reference_no is the local payment id. Payer IP and user agent are sent only when
//     Payment.Data holds "crypto.payer_ip" / "crypto.payer_user_agent" (a terminal has
//     neither). The QR is the "qr" URI (the bare address when missing).
//   - After a crash between StartPayment and storing its answer, Check finds the
//     payment with GetTransactions filtered by reference_no (the local id): one call, no
//     paging. A gateway that ignores the filter (the seed's) still answers with the
//     newest transactions, which are searched for the payment id. When it is not listed
//     CheckPayment is asked without an address, and a 404 then means the gateway never
//     got the start (RemoteNotFound). A 404 for a payment whose start was answered is an
//     error, never "not found".
//   - State mapping: confirmed=true → paid (see Money); cancelled → cancelled, or
//     expired when the terminal did not ask to cancel and the local expiry passed;
//     underpayment → underpaid (QR switches to underpayment.qr, or its address);
//     processing → pending "n/m confirmations"; blocked → pending "Blocked (KYT)";
//     waiting or empty → pending; anything else → pending with the gateway's status text.
//   - Cancel: when CancelPayment refuses (any 4xx but 401/404, or cancelled=false) the
//     state is read with CheckPayment: already cancelled is fine, otherwise the error
//     is *CancelRefused ("funds on the way"), matching driver.ErrPaymentInProgress.
//   - Accept sends accepted_amount = the gateway's text of "payment" at that moment and
//     accepted_invoice_amount = invoice × payment / amount rounded down to minor units;
//     the payment is reported paid once AcceptPayment says success.
//   - Refunds are whole: RefundPayment asks for refund_amount_opened (from CheckPayment;
//     the received payment when it reports none), in the gateway's own text, so the
//     refund's amount must equal the payment's settled amount. The destination must pass
//     ValidAddress. Refund progress (refund, refund_status) is read from GetTransactions
//     (filtered by reference_no); refund_status values are not documented (see
//     refundUpdate). A repeated Refund looks there first and does not ask twice.
//   - GetTransactions times ("2006-01-02 15:04:05") carry no zone and are taken as UTC.
//   - Webhooks are hints only: the handler reads payment_id and calls back; the flow
//     then calls CheckPayment. A webhook_test probe is answered 200 and calls nothing.
//
// # Sandbox
//
// Package sandbox (providers/cryptogw/sandbox) plays every endpoint in the live shape by
// default and in the seed shape on request; DemoConfig and the Demo* constants here match
// its defaults.
package cryptogw
