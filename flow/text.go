package flow

import (
	"strconv"

	"github.com/terminald/terminald/money"
	"github.com/terminald/terminald/screen"
	"github.com/terminald/terminald/store"
)

// Every text the terminal draws is in the shop's language (Config.Locale, the message
// files of package locale): the ui asks for it by key here, never writes English
// itself. Sections of the message files the screens use:
//   - [screen]: titles; [ui]: body lines; [key]: what a key does in a hint (the key
//     names are the keypad's own, keys.go); [status]: the status bar and the renderer's
//     own words (screen.Words).
//   - [step] and [phrase]: texts made in English outside the ui — providers' prompts,
//     choices and status words, the engine's reasons and errors — matched against the
//     English messages (locale.PhraseKey) and shown in the shop's language; a text no
//     message matches is shown as it came.
//
// Amounts are in the locale's money format ("12,50 €", "1.234,56 kr.", "$12.50") and
// providers by their display names (locale.Brand: "AcountPay", not "acountpay").

// t returns the message of key with args filled in.
func (u *ui) t(key string, args ...any) string {
	if u.textHook != nil {
		u.textHook(key, "")
	}
	return u.e.cfg.Locale.T(key, args...)
}

// phrase shows s, a text made in English outside the ui, in the shop's language where a
// [step] or [phrase] message matches it.
func (u *ui) phrase(s string) string {
	if s == "" {
		return ""
	}
	key, args, ok := u.e.cfg.Locale.PhraseKey(s)
	if !ok {
		if u.textHook != nil {
			u.textHook("", s)
		}
		return s
	}
	return u.t(key, args...)
}

// phrases is phrase of every line.
func (u *ui) phrases(lines []string) []string {
	if lines == nil {
		return nil
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = u.phrase(l)
	}
	return out
}

// money writes a in the shop's money format.
func (u *ui) money(a money.Amount) string { return u.e.money(a) }

// brand is provider prov's display name.
func (u *ui) brand(prov string) string { return u.e.cfg.Locale.Brand(prov) }

// brands are the display names of provs.
func (u *ui) brands(provs []string) []string {
	out := make([]string, len(provs))
	for i, p := range provs {
		out[i] = u.brand(p)
	}
	return out
}

// chooseHint is the hint of a numbered list of n entries and the other keys:
// "1-3 = choose   X = cancel".
func (u *ui) chooseHint(n int, uses ...keyUse) string {
	h := "1-" + strconv.Itoa(n) + " = " + u.t("key.choose")
	if rest := u.keyHint(uses...); rest != "" {
		h += "   " + rest
	}
	return h
}

// words are the renderer's own texts in the shop's language.
func (u *ui) words() screen.Words {
	return screen.Words{Online: u.t("status.online"), Offline: u.t("status.offline"),
		QRTooLarge: u.t("status.qr_too_large"), NoQR: u.t("status.no_qr")}
}

// printerState is a printer state word ("paper out") in the shop's language.
func (u *ui) printerState(st string) string {
	if st == "" {
		st = "unknown"
	}
	if k := "status.printer." + st; u.e.cfg.Locale.Has(k) {
		return u.t(k)
	}
	return st
}

// stateWords are paymentStates in the shop's language.
func (u *ui) stateWords(p *store.Payment) []string {
	keys := paymentStates(p)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = u.t("ui.state." + k)
	}
	return out
}

// receiptNo writes receipt number n as the screens always have: digits, no grouping.
func receiptNo(n uint64) string { return strconv.FormatUint(n, 10) }
