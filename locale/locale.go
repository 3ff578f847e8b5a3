package locale

import (
	"embed"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/BurntSushi/toml"
	"github.com/terminald/terminald/money"
	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

//go:embed messages/*.toml
var files embed.FS

// ErrLanguage is returned by New for a language without a message file.
var ErrLanguage = errors.New("unknown language")

// ErrAmount is returned by ParseAmount for text that is not an amount in the locale.
var ErrAmount = errors.New("not an amount")

// Languages returns the languages that have a message file, sorted ("da", "de", "en").
func Languages() []string {
	ents, _ := files.ReadDir("messages")
	var out []string
	for _, e := range ents {
		if name, ok := strings.CutSuffix(e.Name(), ".toml"); ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// DefaultBrands returns the providers' display names by configuration name: what
// receipts and screens print instead of the internal id.
func DefaultBrands() map[string]string {
	return map[string]string{"acountpay": "AcountPay", "accrue": "Accrue", "cryptogw": "Crypto"}
}

// Options chooses a Locale.
type Options struct {
	Language string            // "da", "de", "en" (a file in messages/); "en" when empty
	TimeZone string            // IANA name, e.g. "Europe/Copenhagen"; the system's local zone when empty
	Brands   map[string]string // provider display names overriding DefaultBrands; may be nil
}

// Locale formats and reads text for one shop. It is immutable and safe for concurrent use.
type Locale struct {
	lang    string
	tag     language.Tag
	loc     *time.Location
	msgs    map[string]string
	en      map[string]string
	brands  map[string]string
	phrases []pattern // the English [step] and [phrase] messages, most specific first
	printer *message.Printer
	decimal string // decimal separator, from x/text
	group   string // grouping separator, from x/text
	// moneyPat caches moneyPattern: currency code → format.money with the symbol in
	// (shared by the copies WithBrands makes: brands do not change it).
	moneyPat *sync.Map
}

// New loads the messages of o.Language and the zone o.TimeZone. It returns an error
// wrapping ErrLanguage for a language without a message file, and one naming the zone
// for a zone the system's zone database does not know.
func New(o Options) (*Locale, error) {
	if o.Language == "" {
		o.Language = "en"
	}
	tag, err := language.Parse(o.Language)
	if err != nil || !has(o.Language) {
		return nil, fmt.Errorf("locale: %q: %w (have %s)", o.Language, ErrLanguage, strings.Join(Languages(), ", "))
	}
	loc := time.Local
	if o.TimeZone != "" {
		if loc, err = time.LoadLocation(o.TimeZone); err != nil {
			return nil, fmt.Errorf("locale: time zone %q: %w", o.TimeZone, err)
		}
	}
	l := &Locale{lang: o.Language, tag: tag, loc: loc, brands: DefaultBrands(), printer: message.NewPrinter(tag), moneyPat: new(sync.Map)}
	if l.msgs, err = load(o.Language); err != nil {
		return nil, err
	}
	if l.en, err = load("en"); err != nil {
		return nil, err
	}
	l.phrases = compilePhrases(l.en)
	for k, v := range o.Brands {
		l.brands[k] = v
	}
	// The separators as x/text writes them for this language: 0.0 with one decimal
	// and 1000 with grouping.
	zero := l.printer.Sprint(number.Decimal(0, number.Scale(1)))
	l.decimal = strings.Trim(zero, "0")
	l.group = strings.Trim(l.printer.Sprint(number.Decimal(1000)), "0123456789")
	return l, nil
}

func has(lang string) bool {
	for _, l := range Languages() {
		if l == lang {
			return true
		}
	}
	return false
}

// load reads messages/lang.toml into flat "section.key" names.
func load(lang string) (map[string]string, error) {
	b, err := files.ReadFile(path.Join("messages", lang+".toml"))
	if err != nil {
		return nil, fmt.Errorf("locale: %s: %w", lang, err)
	}
	var raw map[string]map[string]string
	if err := toml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("locale: messages/%s.toml: %w", lang, err)
	}
	out := map[string]string{}
	for sec, kv := range raw {
		for k, v := range kv {
			out[sec+"."+k] = v
		}
	}
	return out, nil
}

// Language returns the language code the locale was made with, e.g. "da".
func (l *Locale) Language() string { return l.lang }

// Location returns the time zone receipts are stamped in.
func (l *Locale) Location() *time.Location { return l.loc }

// T returns the message of key ("receipt.amount") in the locale's language, with args
// filled into its fmt verbs (numbers in the locale's format). A key the language lacks
// comes from English; one no file has is returned as the key itself.
func (l *Locale) T(key string, args ...any) string {
	m, ok := l.msgs[key]
	if !ok {
		if m, ok = l.en[key]; !ok {
			return key
		}
	}
	if len(args) == 0 {
		return m
	}
	return l.printer.Sprintf(m, args...)
}

// Has reports whether key has a message in the locale's language or in English.
func (l *Locale) Has(key string) bool {
	_, a := l.msgs[key]
	_, b := l.en[key]
	return a || b
}

// WithBrands returns a copy of l whose provider display names are brands over l's own
// (config key providers.names); l is unchanged.
func (l *Locale) WithBrands(brands map[string]string) *Locale {
	c := *l
	c.brands = l.Brands()
	for k, v := range brands {
		c.brands[k] = v
	}
	return &c
}

// Translated reports whether key has a message in the locale's own language (not only
// in English): what a test of a translation asks.
func (l *Locale) Translated(key string) bool {
	_, ok := l.msgs[key]
	return ok
}

// Brands returns the provider display names the locale prints, by configuration name.
func (l *Locale) Brands() map[string]string {
	out := make(map[string]string, len(l.brands))
	for k, v := range l.brands {
		out[k] = v
	}
	return out
}

// phraseSections are the sections whose English messages are patterns matched against
// texts made in English elsewhere (providers' prompts, status words, reasons, errors).
var phraseSections = []string{"step.", "phrase."}

// pattern is one English message of phraseSections as a regular expression: each %s
// captures one argument.
type pattern struct {
	key string
	re  *regexp.Regexp
	lit int // literal characters: the most specific pattern wins
}

// compilePhrases turns the English messages of phraseSections into patterns, the most
// specific (most literal characters) first.
func compilePhrases(en map[string]string) []pattern {
	var out []pattern
	for k, m := range en {
		if !hasPrefix(k, phraseSections) {
			continue
		}
		parts := strings.Split(m, "%s")
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		// Quoted literals and (.+?) always compile.
		re := regexp.MustCompile("^" + strings.Join(parts, "(.+?)") + "$")
		out = append(out, pattern{key: k, re: re, lit: len(m) - 2*(len(parts)-1)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].lit != out[j].lit {
			return out[i].lit > out[j].lit
		}
		return out[i].key < out[j].key
	})
	return out
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// PhraseKey finds the message of s, a text made in English outside the catalogue (a
// provider's prompt or status word, a reason, an engine error): the key of the [step]
// or [phrase] message whose English pattern matches s whole, and the texts its %s
// stand for, in order. An argument that is an amount as package money writes it
// ("12.50 EUR") is rewritten in the locale's money format. ok is false when no
// pattern matches.
func (l *Locale) PhraseKey(s string) (key string, args []any, ok bool) {
	for _, p := range l.phrases {
		m := p.re.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		for _, a := range m[1:] {
			args = append(args, l.phraseArg(a))
		}
		return p.key, args, true
	}
	return "", nil, false
}

// phraseArg is an argument of a matched phrase as the locale shows it: an amount in its
// money format, a phrase without arguments translated, anything else as it is.
func (l *Locale) phraseArg(a string) string {
	if num, code, ok := strings.Cut(a, " "); ok && len(code) == 3 && strings.ToUpper(code) == code {
		if m, err := money.Parse(num, code); err == nil && money.FormatDecimal(m.Minor, m.Exponent()) == num {
			return l.Money(m)
		}
	}
	for _, p := range l.phrases {
		if p.re.NumSubexp() == 0 && p.re.MatchString(a) {
			return l.T(p.key)
		}
	}
	return a
}

// Phrase returns s in the locale's language where a [step] or [phrase] message matches
// it (see PhraseKey), else s as it is.
func (l *Locale) Phrase(s string) string {
	key, args, ok := l.PhraseKey(s)
	if !ok {
		return s
	}
	return l.T(key, args...)
}

// Brand returns the display name of the provider configured as name ("acountpay" →
// "AcountPay"); an unknown name is returned as it is.
func (l *Locale) Brand(name string) string {
	if b, ok := l.brands[name]; ok {
		return b
	}
	return name
}

// Time formats t in the locale's zone and date layout (format.datetime).
func (l *Locale) Time(t time.Time) string {
	return t.In(l.loc).Format(l.T("format.datetime"))
}

// Decimal formats minor units with exp decimals as the locale writes numbers, with
// grouping: Decimal(123456, 2) is "1.234,56" in Danish, "1,234.56" in English.
func (l *Locale) Decimal(minor int64, exp int) string {
	neg := minor < 0
	u := uint64(minor)
	if neg {
		u = -u
	}
	var pow uint64 = 1
	for range exp {
		pow *= 10
	}
	s := l.printer.Sprint(number.Decimal(u / pow))
	if exp > 0 {
		s += l.decimal + fmt.Sprintf("%0*d", exp, u%pow)
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Money formats a with its currency's symbol where the locale puts it: "1.234,56 kr."
// (da, DKK), "12,50 €" (de, EUR), "$12.50" (en, USD). A currency x/text does not know
// prints with its code.
func (l *Locale) Money(a money.Amount) string {
	num := l.Decimal(a.Minor, a.Exponent())
	out := strings.Replace(l.moneyPattern(a.Currency), "{amount}", strings.TrimPrefix(num, "-"), 1)
	if a.Minor < 0 {
		out = "-" + out
	}
	return out
}

// moneyPattern returns format.money with cur's symbol in place and "{amount}" left to
// fill, worked out once per currency (every screen shows an amount; the symbol lookup
// and the pattern were most of Money's cost and allocations).
func (l *Locale) moneyPattern(cur string) string {
	if p, ok := l.moneyPat.Load(cur); ok {
		return p.(string)
	}
	sym := cur
	if u, err := currency.ParseISO(cur); err == nil {
		sym = l.printer.Sprint(currency.Symbol(u))
	}
	pat := l.T("format.money")
	if strings.Contains(pat, "{symbol}{amount}") && endsInLetter(sym) {
		pat = strings.Replace(pat, "{symbol}{amount}", "{symbol} {amount}", 1) // CLDR currency spacing: "DKK 12.50"
	}
	// The symbol goes in around "{amount}", never into it: a symbol that contained
	// "{amount}" would otherwise be filled.
	if before, after, ok := strings.Cut(pat, "{amount}"); ok {
		pat = strings.ReplaceAll(before, "{symbol}", sym) + "{amount}" + strings.ReplaceAll(after, "{symbol}", sym)
	} else {
		pat = strings.ReplaceAll(pat, "{symbol}", sym)
	}
	l.moneyPat.Store(cur, pat)
	return pat
}

// ParseAmount reads an amount in cur as a cashier types it in the locale: the
// locale's decimal separator, optional grouping separators between groups of three
// digits ("1,00", "1.234,56" in Danish; "1.00", "1,234.56" in English), no sign and
// no symbol. It returns an error wrapping ErrAmount that shows the expected form.
func (l *Locale) ParseAmount(s, cur string) (money.Amount, error) {
	c, err := money.Lookup(cur)
	if err != nil {
		return money.Amount{}, fmt.Errorf("locale: amount: %w", err)
	}
	bad := func() (money.Amount, error) {
		return money.Amount{}, fmt.Errorf("locale: %q: %w in %s (e.g. %q)", s, ErrAmount, cur, l.Decimal(123456, c.Exponent))
	}
	t := strings.TrimSpace(s)
	intPart, frac, hasFrac := strings.Cut(t, l.decimal)
	if hasFrac && (frac == "" || strings.Trim(frac, "0123456789") != "") {
		return bad()
	}
	if groups := strings.Split(intPart, l.group); len(groups) > 1 {
		for i, g := range groups {
			if g == "" || (i > 0 && len(g) != 3) || (i == 0 && len(g) > 3) {
				return bad()
			}
		}
		intPart = strings.Join(groups, "")
	}
	if intPart == "" || strings.Trim(intPart, "0123456789") != "" {
		return bad()
	}
	dec := intPart
	if hasFrac {
		dec += "." + frac
	}
	minor, err := money.ParseDecimal(dec, c.Exponent)
	if err != nil {
		return money.Amount{}, fmt.Errorf("locale: %q: %w", s, err)
	}
	return money.New(minor, c.Code), nil
}

// endsInLetter reports whether s ends in a letter, as an ISO code used as a symbol does.
func endsInLetter(s string) bool {
	r := []rune(s)
	return len(r) > 0 && unicode.IsLetter(r[len(r)-1])
}
