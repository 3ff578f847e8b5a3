package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/terminald/terminald/pin"
	"golang.org/x/term"
)

// cmdSetPIN asks for a new manager PIN twice and prints the configuration line that
// holds its hash. It does not edit the configuration file: rewriting it would lose its
// comments and order, and the file is root's; the merchant pastes the line under [admin].
// On a terminal the PIN is read without echo; from a pipe, one PIN per line.
func cmdSetPIN(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flags("set-pin", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: terminald set-pin

Asks for the manager PIN (4 to 12 digits) twice, without echo on a terminal (from a pipe:
one line each), and prints the line to put under [admin] in terminald.toml:

  manager_pin_hash = "$argon2id$v=19$..."

The file is not changed (its comments would be lost); restart terminald after editing it.
The PIN guards the admin menu, refunds, reprints of older receipts and end of day.
`)
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: set-pin takes no arguments (it asks for the PIN)", errUsage)
	}
	read := lineReader(stdin, stderr)
	first, err := read("New manager PIN: ")
	if err != nil {
		return err
	}
	if err := pin.Valid(first); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	second, err := read("Again: ")
	if err != nil {
		return err
	}
	if first != second {
		return fmt.Errorf("%w: the two PINs differ; nothing was set", errUsage)
	}
	h, err := pin.Hash(first)
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "Put this line under [admin] in terminald.toml and restart terminald:")
	fmt.Fprintf(stdout, "manager_pin_hash = %q\n", h)
	return nil
}

// lineReader returns a function that prompts on stderr and reads one PIN: without echo
// when stdin is a terminal, else one line.
func lineReader(stdin io.Reader, stderr io.Writer) func(prompt string) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return func(prompt string) (string, error) {
			fmt.Fprint(stderr, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(stderr)
			if err != nil {
				return "", fmt.Errorf("read PIN: %w", err)
			}
			return strings.TrimSpace(string(b)), nil
		}
	}
	br := bufio.NewReader(stdin)
	return func(string) (string, error) {
		s, err := br.ReadString('\n')
		if err != nil && (s == "" || !errors.Is(err, io.EOF)) {
			if errors.Is(err, io.EOF) {
				return "", fmt.Errorf("%w: no PIN on standard input", errUsage)
			}
			return "", fmt.Errorf("read PIN: %w", err)
		}
		return strings.TrimSpace(s), nil
	}
}
