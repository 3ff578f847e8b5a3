package admin

import (
	"context"
	"errors"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeCreds hands the server the credentials the test chooses, as SO_PEERCRED would.
type fakeCreds struct {
	mu   sync.Mutex
	cred Cred
	err  error
}

func (f *fakeCreds) set(c Cred, err error) {
	f.mu.Lock()
	f.cred, f.err = c, err
	f.mu.Unlock()
}

func (f *fakeCreds) of(net.Conn) (Cred, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cred, f.err
}

func withSelf(uid int) Option                 { return func(s *Server) { s.self = uid } }
func withGroups(f func(uid int) []int) Option { return func(s *Server) { s.groupsOf = f } }

func TestMoneyMovingCommandsNeedAnAdmin(t *testing.T) {
	creds := &fakeCreds{}
	h := &fakeHandler{}
	const daemonUID, adminUID, adminGID = 998, 1001, 2000
	s, err := Listen(sockPath(t), "", h, nil,
		WithPeerCred(creds.of), withSelf(daemonUID),
		WithAccess(Access{AdminUIDs: []int{adminUID}, AdminGIDs: []int{adminGID}}),
		withGroups(func(uid int) []int {
			if uid == 1003 {
				return []int{100, adminGID}
			}
			return []int{100}
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	staff := Cred{UID: 1000, GID: 1000, PID: 42} // in the socket's group, nothing more
	tests := []struct {
		name    string
		cred    Cred
		credErr error
		allowed []string // money-moving commands this caller may run
	}{
		{"staff", staff, nil, nil},
		{"root", Cred{UID: 0, GID: 0}, nil, []string{CmdRefund, CmdReprint, CmdEndOfDay}},
		{"the daemon's user", Cred{UID: daemonUID, GID: daemonUID}, nil, []string{CmdRefund, CmdReprint, CmdEndOfDay}},
		{"admin uid", Cred{UID: adminUID, GID: 1001}, nil, []string{CmdRefund, CmdReprint, CmdEndOfDay}},
		{"admin primary group", Cred{UID: 1002, GID: adminGID}, nil, []string{CmdRefund, CmdReprint, CmdEndOfDay}},
		{"admin supplementary group", Cred{UID: 1003, GID: 1003}, nil, []string{CmdRefund, CmdReprint, CmdEndOfDay}},
		{"credentials unknown", Cred{}, errors.New("SO_PEERCRED: not supported"), nil},
	}
	args := map[string]any{CmdRefund: RefundArgs{PaymentID: "p1", Amount: "1.00"}, CmdReprint: ReprintArgs{Receipt: 3}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds.set(tt.cred, tt.credErr)
			c := dial(t, s) // credentials are read when the connection is accepted
			for _, cmd := range []string{CmdStatus, CmdPayments} {
				if err := c.Call(context.Background(), cmd, nil, nil); err != nil {
					t.Errorf("read-only %s refused: %v", cmd, err)
				}
			}
			for _, cmd := range []string{CmdRefund, CmdReprint, CmdEndOfDay} {
				before := h.count()
				err := c.Call(context.Background(), cmd, args[cmd], nil)
				want := false
				for _, a := range tt.allowed {
					want = want || a == cmd
				}
				var ae *Error
				switch {
				case want && err != nil:
					t.Errorf("%s refused: %v", cmd, err)
				case !want && (!errors.As(err, &ae) || !strings.Contains(ae.Msg, "permission denied")):
					t.Errorf("%s by %+v: %v, want permission denied", cmd, tt.cred, err)
				case !want && h.count() != before:
					t.Errorf("%s refused but the handler ran (%s)", cmd, h.last())
				}
			}
		})
	}
}

// The default credentials come from the kernel: the test process's own.
func TestPeerCredIsTheCaller(t *testing.T) {
	ln, err := net.Listen("unix", sockPath(t))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	got, err := peerCred(conn)
	if err != nil {
		t.Fatal(err)
	}
	if got.UID != os.Geteuid() || got.GID != os.Getegid() || got.PID != os.Getpid() {
		t.Errorf("peerCred = %+v, want uid %d gid %d pid %d", got, os.Geteuid(), os.Getegid(), os.Getpid())
	}
}

func TestMovesMoney(t *testing.T) {
	for cmd, want := range map[string]bool{CmdRefund: true, CmdReprint: true, CmdEndOfDay: true, CmdXReport: true, CmdStatus: false, CmdPayments: false} {
		if MovesMoney(cmd) != want {
			t.Errorf("MovesMoney(%q) = %v", cmd, !want)
		}
	}
}

func (f *fakeHandler) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func TestReprintResultIsTyped(t *testing.T) {
	c := dial(t, start(t, &fakeHandler{}))
	var got ReprintResult
	if err := c.Call(context.Background(), CmdReprint, ReprintArgs{Receipt: 17}, &got); err != nil {
		t.Fatal(err)
	}
	if got != (ReprintResult{Queued: true, Receipt: 17}) {
		t.Errorf("reprint result %+v, want queued receipt 17", got)
	}
}

// The configured admins (admin.admins) resolve to uids and gids; a wrong entry is named.
func TestParseAccess(t *testing.T) {
	a, err := ParseAccess([]string{"root", "1001", "%root", "%2000"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.AdminUIDs, []int{0, 1001}) || !slices.Equal(a.AdminGIDs, []int{0, 2000}) {
		t.Errorf("ParseAccess = %+v, want uids [0 1001] gids [0 2000]", a)
	}
	for _, tc := range []struct {
		entries []string
		want    string
	}{
		{[]string{"root", "no-such-user-xq"}, `admins[1] "no-such-user-xq": no such user`},
		{[]string{"%no-such-group-xq"}, `admins[0] "%no-such-group-xq"`},
		{[]string{"%"}, `admins[0] "%": a group name or gid`},
		{[]string{""}, `admins[0] "": want a user name`},
		{[]string{"alice bob"}, `admins[0] "alice bob"`},
		{[]string{"-3"}, `admins[0] "-3": a uid is not negative`},
	} {
		if _, err := ParseAccess(tc.entries); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseAccess(%q) = %v, want an error with %q", tc.entries, err, tc.want)
		}
	}
}
