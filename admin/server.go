package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Server timeouts and limits.
const (
	// IdleTimeout closes a connection that sends no complete request for
	// this long.
	IdleTimeout = 60 * time.Second
	// WriteTimeout bounds writing one response.
	WriteTimeout = 10 * time.Second
	// CommandTimeout bounds one command; refunds and end-of-day talk to
	// providers and terminals, hence the generous value.
	CommandTimeout = 3 * time.Minute
	// MaxConns is how many connections are served at once; more are
	// answered with an error and closed.
	MaxConns = 16
)

// DefaultSocket is where the daemon serves the admin socket (admin.socket).
const DefaultSocket = "/run/terminald/admin.sock"

// SocketMode is the permission of the socket file: the daemon's user and
// the admin group may connect, nobody else.
const SocketMode = 0o660

// Server serves the admin API on a unix socket.
type Server struct {
	path   string
	ln     *net.UnixListener
	h      Handler
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{}

	access   Access
	credOf   func(net.Conn) (Cred, error)
	groupsOf func(uid int) []int
	self     int // the daemon's effective uid

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Listen creates the socket at path with mode 0660 and, when group is
// not empty, that group (a name or a numeric id; the daemon must be a
// member), and serves h on it until Close. A stale socket left by a
// previous run is removed; Listen fails if another process still accepts
// on path or if path is not a socket. A nil logger discards logs.
//
// Everyone who can connect may run read-only commands; money-moving ones
// (MovesMoney: refund, reprint, end-of-day) are refused unless the
// caller's SO_PEERCRED credentials are root's, the daemon's own user's, or
// admitted by WithAccess.
func Listen(path, group string, h Handler, logger *slog.Logger, opts ...Option) (*Server, error) {
	if h == nil {
		return nil, errors.New("admin: listen: nil handler")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	gid := -1
	if group != "" {
		g, err := lookupGroup(group)
		if err != nil {
			return nil, fmt.Errorf("admin: listen %s: %w", path, err)
		}
		gid = g
	}
	if err := removeStale(path); err != nil {
		return nil, fmt.Errorf("admin: listen %s: %w", path, err)
	}
	// Bind under a temporary name, fix mode and group, then rename: the
	// final path never exists with looser permissions.
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp"+strconv.Itoa(os.Getpid()))
	os.Remove(tmp)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("admin: listen %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(false)
	fail := func(err error) (*Server, error) {
		ln.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("admin: listen %s: %w", path, err)
	}
	if err := os.Chmod(tmp, SocketMode); err != nil {
		return fail(err)
	}
	if gid >= 0 {
		if err := os.Chown(tmp, -1, gid); err != nil {
			return fail(fmt.Errorf("set group %s: %w", group, err))
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		path: path, ln: ln, h: h, log: logger,
		ctx: ctx, cancel: cancel,
		sem:   make(chan struct{}, MaxConns),
		conns: make(map[net.Conn]struct{}),

		credOf: peerCred, groupsOf: supplementaryGroups, self: os.Geteuid(),
	}
	for _, o := range opts {
		o(s)
	}
	s.wg.Add(1)
	go s.acceptLoop()
	logger.Info("admin socket listening", "path", path, "group", group)
	return s, nil
}

func lookupGroup(group string) (int, error) {
	if id, err := strconv.Atoi(group); err == nil && id >= 0 {
		return id, nil
	}
	g, err := user.LookupGroup(group)
	if err != nil {
		return 0, fmt.Errorf("group %q: %w", group, err)
	}
	id, err := strconv.Atoi(g.Gid)
	if err != nil {
		return 0, fmt.Errorf("group %q: bad gid %q", group, g.Gid)
	}
	return id, nil
}

// removeStale deletes a socket at path that nobody accepts on any more.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("exists and is not a socket (%v)", fi.Mode())
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return errors.New("another process is serving on this socket")
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove stale socket: %w", err)
	}
	return nil
}

// Addr returns the socket path.
func (s *Server) Addr() string { return s.path }

// Close stops accepting, cancels running commands, closes every
// connection, waits for them and removes the socket file.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	if rerr := os.Remove(s.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("admin: close: %w", err)
	}
	return nil
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	var delay time.Duration
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return // Close closes the listener before it cancels ctx
			}
			// E.g. EMFILE: back off rather than spin.
			if delay == 0 {
				delay = 5 * time.Millisecond
			} else if delay < time.Second {
				delay *= 2
			}
			s.log.Warn("admin accept failed", "err", err, "retry_in", delay)
			select {
			case <-time.After(delay):
				continue
			case <-s.ctx.Done():
				return
			}
		}
		delay = 0
		select {
		case s.sem <- struct{}{}:
		default:
			s.log.Warn("admin connection refused: too many connections")
			s.reject(c, fmt.Sprintf("server busy: more than %d connections", MaxConns))
			continue
		}
		if !s.track(c, true) {
			c.Close()
			<-s.sem
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-s.sem }()
			defer s.track(c, false)
			defer c.Close()
			s.serveConn(c)
		}()
	}
}

func (s *Server) reject(c net.Conn, msg string) {
	c.SetWriteDeadline(time.Now().Add(time.Second))
	writeResponse(c, &Response{Error: msg})
	c.Close()
}

func (s *Server) track(c net.Conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.closed {
			return false
		}
		s.conns[c] = struct{}{}
	} else {
		delete(s.conns, c)
	}
	return true
}

func (s *Server) serveConn(c net.Conn) {
	cred, credErr := s.credOf(c)
	if credErr != nil {
		cred = Cred{UID: -1, GID: -1, PID: -1}
	}
	log := s.log.With("peer_uid", cred.UID, "peer_pid", cred.PID)
	handle := func(line []byte) *Response { return s.handle(log, cred, credErr, line) }
	r := bufio.NewReaderSize(c, MaxRequestSize)
	for {
		if err := c.SetReadDeadline(time.Now().Add(IdleTimeout)); err != nil {
			return
		}
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			log.Warn("admin request too large", "limit", MaxRequestSize)
			s.send(c, &Response{Error: fmt.Sprintf("bad request: larger than %d bytes", MaxRequestSize)})
			return // cannot find the next request boundary reliably
		}
		if err != nil {
			if len(line) > 0 && errors.Is(err, io.EOF) {
				// Last request without a newline: still answer it.
				s.send(c, handle(line))
			} else if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				log.Debug("admin connection ended", "err", err)
			}
			return
		}
		if len(trimSpace(line)) == 0 {
			continue
		}
		if !s.send(c, handle(line)) {
			return
		}
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r' || b[len(b)-1] == '\n') {
		b = b[:len(b)-1]
	}
	return b
}

func (s *Server) send(c net.Conn, resp *Response) bool {
	if err := c.SetWriteDeadline(time.Now().Add(WriteTimeout)); err != nil {
		return false
	}
	if err := writeResponse(c, resp); err != nil {
		s.log.Debug("admin write failed", "err", err)
		return false
	}
	return true
}

func writeResponse(w io.Writer, resp *Response) error {
	b, err := json.Marshal(resp)
	if err != nil {
		b, _ = json.Marshal(&Response{Error: "internal error: encode response"})
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// handle decodes and runs one request line. Arguments are not logged:
// they may carry refund destinations.
func (s *Server) handle(log *slog.Logger, cred Cred, credErr error, line []byte) (resp *Response) {
	var req Request
	if err := json.Unmarshal(line, &req); err != nil {
		return &Response{Error: fmt.Sprintf("bad request: not a JSON object: %v", err)}
	}
	if err := s.authorize(cred, credErr, req.Cmd); err != nil {
		log.Warn("admin command refused", "cmd", req.Cmd, "peer_gid", cred.GID, "err", err)
		return &Response{Error: err.Error()}
	}
	ctx, cancel := context.WithTimeout(s.ctx, CommandTimeout)
	defer cancel()
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			log.Error("admin command panicked", "cmd", req.Cmd, "panic", fmt.Sprint(p))
			resp = &Response{Error: "internal error"}
		}
	}()
	data, err := dispatch(ctx, s.h, &req)
	if err != nil {
		log.Info("admin command failed", "cmd", truncate(req.Cmd, 64), "err", err, "took", time.Since(start))
		return &Response{Error: err.Error()}
	}
	raw, err := json.Marshal(data)
	if err != nil {
		log.Error("admin response encoding failed", "cmd", req.Cmd, "err", err)
		return &Response{Error: fmt.Sprintf("internal error: encode %s result", req.Cmd)}
	}
	log.Info("admin command", "cmd", req.Cmd, "took", time.Since(start))
	return &Response{OK: true, Data: raw}
}
