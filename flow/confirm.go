package flow

import (
	"strings"

	"github.com/terminald/terminald/screen"
)

// Every money move started on the terminal shows a confirmation screen first: what
// moves (the amount), from which payment (receipt number, time, provider) and where to
// (the customer's account at the provider, or a scanned crypto address shown back in
// full, in groups of four characters, on a screen of its own after the payment's: two
// confirmations, the second OK sends). OK sends it; Cancel goes back to the admin menu
// and nothing is sent; the screen is a prompt and times out like every other, also
// sending nothing. Confirmed moves: a refund, the end of day (it closes the day). The
// underpayment decision is its own confirmation: it moves no money (the customer has
// already paid what was paid), it only settles the payment at the amount received.

// confirmation is a money move waiting for the cashier's OK.
type confirmation struct {
	title  string   // "Confirm refund", in the shop's language
	amount string   // what moves, in the shop's money format; may be empty
	lines  []string // the payment and the destination, in the shop's language
	verb   string   // what OK does: a [key] message, "refund"
	do     func()   // the move itself; runs only after OK
}

// confirm shows c and waits for OK or Cancel.
func (u *ui) confirm(c confirmation) {
	u.conf = c
	u.mode = modeConfirm
	u.armPrompt()
}

// confirmKey takes a key on the confirmation screen: OK runs the move, Cancel drops it.
func (u *ui) confirmKey(k Key) {
	switch k {
	case KeyOK:
		c := u.conf
		u.conf = confirmation{}
		u.mode = modeAdmin
		c.do()
	case KeyCancel:
		u.conf = confirmation{}
		u.backToMenu()
		return
	}
	u.show()
}

func (u *ui) confirmScreen() screen.Screen {
	c := u.conf
	return screen.Screen{Kind: screen.Decision, Title: c.title, Amount: c.amount, Lines: c.lines,
		Hint: u.keyHint(use(KeyOK, c.verb), use(KeyCancel, "cancel"))}
}

// groupAddress writes a crypto address for reading back: groups of four characters,
// four groups a line, every character shown.
func groupAddress(addr string) []string {
	var groups []string
	rs := []rune(addr)
	for len(rs) > 4 {
		groups = append(groups, string(rs[:4]))
		rs = rs[4:]
	}
	if len(rs) > 0 {
		groups = append(groups, string(rs))
	}
	var lines []string
	for len(groups) > 4 {
		lines = append(lines, strings.Join(groups[:4], " "))
		groups = groups[4:]
	}
	if len(groups) > 0 {
		lines = append(lines, strings.Join(groups, " "))
	}
	return lines
}
