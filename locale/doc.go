// Package locale holds what differs between the shops terminald serves: the language
// of receipts and screens, how amounts are written and read, the time zone receipts
// are stamped in, and the providers' brand names.
//
// Messages live in one TOML file per language under messages/ (embedded at build
// time): en.toml, da.toml, de.toml. A language is added by adding its file with the
// same keys; a key missing from a language falls back to English, and one missing
// everywhere prints as its own name, so a forgotten key is visible, never blank.
// Keys are "section.name", e.g. "receipt.amount" or "screen.scan_to_pay". Sections:
// [format] (date layout, where the currency symbol goes), [receipt], and for the screens
// [screen] (titles), [ui] (lines), [key] (what a key does in a hint), [status] (the
// status bar). The English messages of [step] and [phrase] are patterns (each %s stands
// for any text): PhraseKey and Phrase match texts made in English elsewhere (providers'
// prompts and status words, the engine's reasons and errors) against them, so that those
// are shown in the shop's language too.
//
// Numbers and currency symbols come from golang.org/x/text (CLDR data): the decimal
// and grouping separators from x/text/number, the symbol from x/text/currency. CLDR
// puts the symbol before or after the amount per locale; x/text does not expose that
// pattern, so each message file says it in format.money ("{amount} {symbol}" in
// Danish and German, "{symbol}{amount}" in English). Amounts are integer minor units
// (package money) throughout; no float is ever formatted or parsed.
//
// Examples: Danish 123456 DKK prints "1.234,56 kr.", German 1250 EUR "12,50 €",
// English 1250 USD "$12.50". ParseAmount reads what a cashier types in the shop's
// language: "1,00" and "1.234,56" in Danish or German, "1.00" and "1,234.56" in English.
package locale
