// Package pin holds the manager PIN: its hash in the configuration
// (admin.manager_pin_hash) and the count of wrong tries that locks the PIN pad for a
// while.
//
// Hash makes an argon2id hash (golang.org/x/crypto/argon2, RFC 9106) in the PHC string
// form "$argon2id$v=19$m=19456,t=2,p=1$SALT$KEY" (base64 without padding; OWASP's
// minimum parameters, about 50 ms on a Cortex-A53). A PIN has few digits: the hash
// keeps it out of sight in the configuration file and its backups, it does not make a
// stolen file safe; the file stays root-only (the README says so).
//
// Guard verifies PINs and counts wrong ones: after MaxTries wrong PINs in a row it
// refuses every PIN (ErrLocked) until LockFor has passed; each further lockout without a
// right PIN in between doubles LockFor, up to MaxLock. A right PIN resets the count. The
// count is kept in a small JSON file (written to a temporary file and renamed), so a
// restart does not open the lock; without a file it is kept in memory only.
package pin
