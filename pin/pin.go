package pin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// Errors. Match them with errors.Is.
var (
	ErrWrong  = errors.New("wrong PIN")
	ErrLocked = errors.New("PIN locked")
	ErrFormat = errors.New("PIN must be 4 to 12 digits")
	ErrHash   = errors.New("not an argon2id PIN hash")
)

// argon2id parameters (OWASP minimum): memory in KiB, passes, lanes, key and salt bytes.
const (
	memory  = 19 * 1024
	passes  = 2
	lanes   = 1
	keyLen  = 32
	saltLen = 16
)

// Valid returns ErrFormat unless pin is 4 to 12 ASCII digits (what a keypad can type).
func Valid(pin string) error {
	if len(pin) < 4 || len(pin) > 12 || strings.Trim(pin, "0123456789") != "" {
		return ErrFormat
	}
	return nil
}

// Hash returns the argon2id hash of pin with a fresh random salt, in PHC string form.
func Hash(pin string) (string, error) { return hashWith(pin, memory, passes) }

// hashWith is Hash with other cost parameters (tests use cheap ones).
func hashWith(pin string, m, t uint32) (string, error) {
	if err := Valid(pin); err != nil {
		return "", fmt.Errorf("pin: %w", err)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("pin: salt: %w", err)
	}
	return encode(salt, argon2.IDKey([]byte(pin), salt, t, m, lanes, keyLen), m, t, lanes), nil
}

func encode(salt, key []byte, m uint32, t uint32, p uint8) string {
	b := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, m, t, p, b.EncodeToString(salt), b.EncodeToString(key))
}

// hash is a parsed PHC string.
type hash struct {
	m, t      uint32
	p         uint8
	salt, key []byte
}

// ParseHash checks that s is an argon2id PHC string as Hash writes it (other parameters
// are accepted) and returns an error wrapping ErrHash when it is not.
func ParseHash(s string) error {
	_, err := parse(s)
	return err
}

func parse(s string) (hash, error) {
	var h hash
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return h, fmt.Errorf("pin: %w", ErrHash)
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return h, fmt.Errorf("pin: version %q: %w", parts[2], ErrHash)
	}
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.m, &h.t, &h.p); err != nil || n != 3 || h.m < 8 || h.t < 1 || h.p < 1 || h.m > 1<<21 || h.t > 64 {
		return h, fmt.Errorf("pin: parameters %q: %w", parts[3], ErrHash)
	}
	var err1, err2 error
	h.salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
	h.key, err2 = base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(h.salt) < 8 || len(h.key) < 16 {
		return h, fmt.Errorf("pin: salt or key: %w", ErrHash)
	}
	return h, nil
}

// Verify reports whether pin matches the hash encoded (ErrWrong when it does not; an
// error wrapping ErrHash for a malformed hash). It takes constant time in the PIN.
func Verify(encoded, pin string) error {
	h, err := parse(encoded)
	if err != nil {
		return err
	}
	got := argon2.IDKey([]byte(pin), h.salt, h.t, h.m, h.p, uint32(len(h.key)))
	if subtle.ConstantTimeCompare(got, h.key) != 1 {
		return ErrWrong
	}
	return nil
}

// State is the lockout counter as kept across restarts.
type State struct {
	Failures    int       `json:"failures"`              // wrong PINs since the last right one
	Lockouts    int       `json:"lockouts"`              // lockouts since the last right PIN
	LockedUntil time.Time `json:"locked_until,omitzero"` // no PIN is tried before then
}

// Guard checks PINs against one hash and locks out after too many wrong ones. It is safe
// for concurrent use.
type Guard struct {
	Hash     string           // argon2id PHC string (admin.manager_pin_hash)
	MaxTries int              // wrong PINs in a row before a lockout; 5 when zero
	LockFor  time.Duration    // first lockout; 5 minutes when zero
	MaxLock  time.Duration    // longest lockout; 1 hour when zero
	Path     string           // file that keeps State across restarts; memory only when empty
	Now      func() time.Time // clock; time.Now when nil

	mu     sync.Mutex
	loaded bool
	st     State
}

// LockedError is returned (wrapping ErrLocked) while the guard is locked.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return "pin: locked until " + e.Until.Format(time.RFC3339)
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Unwrap() error { return ErrLocked }

// WrongError is returned (wrapping ErrWrong) for a wrong PIN that did not lock the guard:
// Left more wrong PINs in a row lock it.
type WrongError struct{ Left int }

func (e *WrongError) Error() string {
	return fmt.Sprintf("pin: wrong PIN (%d tries left)", e.Left)
}

// Unwrap makes errors.Is(err, ErrWrong) true.
func (e *WrongError) Unwrap() error { return ErrWrong }

func (g *Guard) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

// Check tries pin. It returns nil for the right PIN; a *WrongError (wrapping ErrWrong,
// with the tries left) for a wrong one; a *LockedError while locked, without looking at the PIN; an
// error wrapping ErrHash when the guard's hash is malformed. A state file that cannot be
// written is an error too, so a lockout is never silently forgotten.
func (g *Guard) Check(pin string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.load(); err != nil {
		return err
	}
	now := g.now()
	if now.Before(g.st.LockedUntil) {
		return &LockedError{Until: g.st.LockedUntil}
	}
	err := Verify(g.Hash, pin)
	switch {
	case err == nil:
		if g.st != (State{}) {
			g.st = State{}
			return g.save()
		}
		return nil
	case !errors.Is(err, ErrWrong):
		return err
	}
	g.st.Failures++
	max := g.MaxTries
	if max <= 0 {
		max = 5
	}
	if g.st.Failures < max {
		if serr := g.save(); serr != nil {
			return serr
		}
		return &WrongError{Left: max - g.st.Failures}
	}
	d := g.LockFor
	if d <= 0 {
		d = 5 * time.Minute
	}
	limit := g.MaxLock
	if limit <= 0 {
		limit = time.Hour
	}
	for range g.st.Lockouts {
		if d >= limit {
			break
		}
		d *= 2
	}
	d = min(d, limit)
	g.st.Failures = 0
	g.st.Lockouts++
	g.st.LockedUntil = now.Add(d)
	if serr := g.save(); serr != nil {
		return serr
	}
	return &LockedError{Until: g.st.LockedUntil}
}

// State returns the counter as it stands.
func (g *Guard) State() (State, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	err := g.load()
	return g.st, err
}

func (g *Guard) load() error {
	if g.loaded || g.Path == "" {
		g.loaded = true
		return nil
	}
	b, err := os.ReadFile(g.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("pin: state: %w", err)
	default:
		if err := json.Unmarshal(b, &g.st); err != nil {
			return fmt.Errorf("pin: state %s: %w", g.Path, err)
		}
	}
	g.loaded = true
	return nil
}

func (g *Guard) save() error {
	if g.Path == "" {
		return nil
	}
	b, _ := json.Marshal(g.st)
	tmp, err := os.CreateTemp(filepath.Dir(g.Path), ".pin-state-*")
	if err != nil {
		return fmt.Errorf("pin: state: %w", err)
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), g.Path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("pin: state: %w", err)
	}
	return nil
}
