package admin

import (
	"errors"
	"fmt"
	"net"
	"os/user"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Cred is the connecting process's credentials, as the kernel reports them for a unix
// socket (SO_PEERCRED): effective uid, primary gid and pid.
type Cred struct {
	UID, GID, PID int
}

// MovesMoney reports whether cmd moves money or produces a receipt (refund, reprint,
// end-of-day, x-report): such commands need an admin caller. Read-only commands (status,
// payments) are open to everyone who may connect to the socket (its group).
func MovesMoney(cmd string) bool {
	switch cmd {
	case CmdRefund, CmdReprint, CmdEndOfDay, CmdXReport:
		return true
	}
	return false
}

// Access says who may run money-moving commands. Root and the daemon's own user always
// may; so may the listed uids and members (primary or supplementary) of the listed gids.
type Access struct {
	AdminUIDs []int
	AdminGIDs []int
}

// ParseAccess resolves the configured admins (admin.admins): each entry is a user name
// or a numeric uid, or a group as "%NAME" or "%GID" (the sudoers spelling). Names are
// looked up in the user database (os/user) now, so a typo is refused at start rather than
// silently admitting no one. The error names the entry and says what was wrong.
func ParseAccess(entries []string) (Access, error) {
	var a Access
	for i, e := range entries {
		if e == "" || strings.TrimSpace(e) != e || strings.ContainsAny(e, " \t,") {
			return Access{}, fmt.Errorf("admins[%d] %q: want a user name, a uid, %%GROUP or %%GID", i, e)
		}
		if g, ok := strings.CutPrefix(e, "%"); ok {
			if g == "" {
				return Access{}, fmt.Errorf("admins[%d] %q: a group name or gid after %%", i, e)
			}
			gid, err := lookupGroup(g)
			if err != nil {
				return Access{}, fmt.Errorf("admins[%d] %q: %w", i, e, err)
			}
			a.AdminGIDs = append(a.AdminGIDs, gid)
			continue
		}
		if n, err := strconv.Atoi(e); err == nil {
			if n < 0 {
				return Access{}, fmt.Errorf("admins[%d] %q: a uid is not negative", i, e)
			}
			a.AdminUIDs = append(a.AdminUIDs, n)
			continue
		}
		u, err := user.Lookup(e)
		if err != nil {
			return Access{}, fmt.Errorf("admins[%d] %q: no such user", i, e)
		}
		uid, err := strconv.Atoi(u.Uid)
		if err != nil {
			return Access{}, fmt.Errorf("admins[%d] %q: uid %q is not a number", i, e, u.Uid)
		}
		a.AdminUIDs = append(a.AdminUIDs, uid)
	}
	return a, nil
}

// ErrPermission is matched (errors.Is) by the error a refused caller gets on the
// server side; the client sees its text in an *Error.
var ErrPermission = errors.New("permission denied")

// Option configures a Server at Listen.
type Option func(*Server)

// WithAccess lets a's uids and gids run money-moving commands besides root and the
// daemon's own user.
func WithAccess(a Access) Option { return func(s *Server) { s.access = a } }

// WithPeerCred replaces how the server learns a connection's credentials (default:
// SO_PEERCRED). Tests use it to act as another user.
func WithPeerCred(f func(net.Conn) (Cred, error)) Option {
	return func(s *Server) { s.credOf = f }
}

// authorize returns nil when the caller c (credentials err when unknown) may run cmd.
func (s *Server) authorize(c Cred, credErr error, cmd string) error {
	if !MovesMoney(cmd) {
		return nil // the socket's mode and group already admitted the caller
	}
	if credErr != nil {
		return fmt.Errorf("%w: %s needs an admin, and the caller's credentials are unknown (%v)", ErrPermission, cmd, credErr)
	}
	if c.UID == 0 || c.UID == s.self || slices.Contains(s.access.AdminUIDs, c.UID) {
		return nil
	}
	if len(s.access.AdminGIDs) > 0 {
		if slices.Contains(s.access.AdminGIDs, c.GID) {
			return nil
		}
		for _, g := range s.groupsOf(c.UID) {
			if slices.Contains(s.access.AdminGIDs, g) {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: %s needs root, the daemon's user or an admin user or group (caller uid %d); read-only commands (status, payments) are open", ErrPermission, cmd, c.UID)
}

// supplementaryGroups returns uid's groups from the user database; nil when unknown.
func supplementaryGroups(uid int) []int {
	u, err := user.LookupId(strconv.Itoa(uid))
	if err != nil {
		return nil
	}
	ids, err := u.GroupIds()
	if err != nil {
		return nil
	}
	var out []int
	for _, id := range ids {
		if n, err := strconv.Atoi(id); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// peerCred reads SO_PEERCRED from a unix socket connection.
func peerCred(c net.Conn) (Cred, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Cred{}, errors.New("not a unix socket")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Cred{}, err
	}
	var cred *unix.Ucred
	var gerr error
	if err := raw.Control(func(fd uintptr) {
		cred, gerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return Cred{}, err
	}
	if gerr != nil {
		return Cred{}, fmt.Errorf("SO_PEERCRED: %w", gerr)
	}
	return Cred{UID: int(cred.Uid), GID: int(cred.Gid), PID: int(cred.Pid)}, nil
}
