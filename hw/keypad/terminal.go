package keypad

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"time"
)

// MaxTerminalCodeLen bounds a "scan:" line typed on the terminal; a longer
// line is discarded.
const MaxTerminalCodeLen = 4096

const scanPrefix = "scan:"

// Terminal reads a keypad from a terminal or any byte stream (the
// simulator's stdin) and delivers events to handle. Byte mapping:
//
//	'0'..'9', '.'          digits and dot
//	'\r' or '\n'           OK (a "\r\n" pair counts once)
//	0x7f or 0x08           clear (Backspace)
//	Esc, 'x', 'X', 'c', 'C' cancel (the screens' hints say "X = cancel")
//	'm', 'M'               menu
//	Esc [ A / Esc [ B      up / down (arrow keys)
//	"scan:TEXT" + newline  a scanned code TEXT
//
// "scan:" starts a scan wherever it is typed, at the start of a line or after
// other keys (a raw terminal has no lines: "1" to choose a scan step, then
// "scan:CODE" Enter, is one scan, and the 'c' of "scan" is no cancel). While
// the prefix is being matched its bytes are held; a byte that breaks it
// replays them as keys ("sc1" is Cancel, 1).
//
// Other bytes are ignored. Within a scan line Backspace deletes the last
// character; surrounding spaces are trimmed and an empty or over-long
// (MaxTerminalCodeLen) line gives nothing. Terminal returns nil at end of
// input and ctx.Err() when ctx is cancelled.
//
// A pending read is interrupted at cancellation through SetReadDeadline when
// r supports it (pipes, ptys, a tty opened with os.OpenFile). Otherwise (for
// example os.Stdin on a blocking terminal) the read finishes in the
// background at the next key and its bytes are dropped.
func Terminal(ctx context.Context, r io.Reader, handle func(Event)) error {
	type chunk struct {
		b   []byte
		err error
	}
	chunks := make(chan chunk)
	done := make(chan struct{})
	var closeDone sync.Once
	stopReader := func() { closeDone.Do(func() { close(done) }) }
	defer stopReader()
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			b := make([]byte, 256)
			n, err := r.Read(b)
			select {
			case chunks <- chunk{b[:n], err}:
			case <-done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	if d, ok := r.(interface{ SetReadDeadline(time.Time) error }); ok {
		// Interrupt a pending read at cancellation, and clear the deadline
		// again once the reader has stopped, so r stays usable.
		interrupted := make(chan bool, 1)
		stop := context.AfterFunc(ctx, func() { interrupted <- d.SetReadDeadline(time.Now()) == nil })
		defer func() {
			if !stop() && <-interrupted {
				stopReader()
				<-readerDone
				_ = d.SetReadDeadline(time.Time{})
			}
		}()
	}
	var m termMapper
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case c := <-chunks:
			m.feed(c.b, handle)
			if c.err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				m.end(handle)
				if errors.Is(c.err, io.EOF) {
					return nil
				}
				return c.err
			}
		}
	}
}

// TerminalInput is an Input reading R with Terminal.
type TerminalInput struct {
	R io.Reader
}

// Run calls Terminal(ctx, t.R, handle).
func (t TerminalInput) Run(ctx context.Context, handle func(Event)) error {
	return Terminal(ctx, t.R, handle)
}

// termMapper is the byte-to-event state machine behind Terminal.
type termMapper struct {
	afterCR  bool // previous byte was '\r': swallow one '\n'
	prefix   int  // bytes of scanPrefix matched
	scanning bool // inside a "scan:" line
	overflow bool // the scan line is too long
	code     []byte
	esc      int // 1: after Esc, 2: after Esc '[' or Esc 'O'
}

// feed maps one chunk. An Esc that ends a chunk is a lone Esc key (a
// terminal sends an arrow key's sequence in one write).
func (m *termMapper) feed(b []byte, emit func(Event)) {
	for _, c := range b {
		m.byte(c, emit)
	}
	if m.esc == 1 {
		m.esc = 0
		emit(Event{Key: KeyCancel})
	}
}

// end flushes state at end of input: a pending Esc is a cancel, an
// unterminated scan line is dropped.
func (m *termMapper) end(emit func(Event)) {
	m.replayPrefix(emit)
	if m.esc == 1 {
		emit(Event{Key: KeyCancel})
	}
	*m = termMapper{}
}

func (m *termMapper) byte(c byte, emit func(Event)) {
	newline := c == '\r' || c == '\n'
	if c == '\n' && m.afterCR {
		m.afterCR = false
		return
	}
	m.afterCR = c == '\r'

	if m.scanning {
		switch {
		case newline:
			code := strings.TrimSpace(string(m.code))
			if !m.overflow && code != "" {
				emit(Event{Code: code})
			}
			m.scanning, m.overflow, m.code = false, false, m.code[:0]
		case c == 0x7f || c == 0x08:
			if len(m.code) > 0 {
				// Drop the last UTF-8 sequence.
				i := len(m.code) - 1
				for i > 0 && m.code[i]&0xc0 == 0x80 {
					i--
				}
				m.code = m.code[:i]
			}
		case c < 0x20:
			// Other control bytes have no place in a code.
		case len(m.code) >= MaxTerminalCodeLen:
			m.overflow = true
		default:
			m.code = append(m.code, c)
		}
		return
	}

	if m.esc == 0 && (m.prefix > 0 || c == scanPrefix[0]) {
		if c == scanPrefix[m.prefix] {
			m.prefix++
			if m.prefix == len(scanPrefix) {
				m.prefix = 0
				m.scanning = true
			}
			return
		}
		// Not a scan after all: replay the held bytes as keys.
		m.replayPrefix(emit)
		if c == scanPrefix[0] {
			m.prefix = 1
			return
		}
	}
	m.key(c, emit)
}

// replayPrefix delivers the bytes held while matching "scan:" as keys.
func (m *termMapper) replayPrefix(emit func(Event)) {
	held := scanPrefix[:m.prefix]
	m.prefix = 0
	if held == "" {
		return
	}
	for i := 0; i < len(held); i++ {
		m.key(held[i], emit)
	}
}

func (m *termMapper) key(c byte, emit func(Event)) {
	switch m.esc {
	case 1:
		if c == '[' || c == 'O' {
			m.esc = 2
			return
		}
		m.esc = 0
		emit(Event{Key: KeyCancel})
	case 2:
		if c >= 0x40 && c <= 0x7e { // final byte of the sequence
			m.esc = 0
			switch c {
			case 'A':
				emit(Event{Key: KeyUp})
			case 'B':
				emit(Event{Key: KeyDown})
			}
		}
		return
	}
	switch {
	case c >= '0' && c <= '9':
		emit(Event{Key: Key(c)})
	case c == '.':
		emit(Event{Key: KeyDot})
	case c == '\r' || c == '\n':
		emit(Event{Key: KeyOK})
	case c == 0x7f || c == 0x08:
		emit(Event{Key: KeyClear})
	case c == 0x1b:
		m.esc = 1
	case c == 'x' || c == 'X' || c == 'c' || c == 'C':
		emit(Event{Key: KeyCancel})
	case c == 'm' || c == 'M':
		emit(Event{Key: KeyMenu})
	}
}
