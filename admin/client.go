package admin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// DefaultCallTimeout bounds a Call whose context has no deadline.
const DefaultCallTimeout = CommandTimeout + 10*time.Second

// Client talks to a Server. It is safe for concurrent use; calls on one
// Client are sent one after the other.
type Client struct {
	mu   sync.Mutex
	conn net.Conn
	r    *bufio.Reader
	err  error // sticky: the connection is out of step after a failure
}

// Dial connects to the admin socket at path.
func Dial(path string) (*Client, error) {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("admin: dial %s: %w", path, err)
	}
	return &Client{conn: c, r: bufio.NewReaderSize(c, 64<<10)}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Call sends cmd with args (any JSON-encodable value, or nil) and decodes
// the response's data into out (nil discards it). Numbers decoded into
// interface values become json.Number, never float64. A command the
// server rejected or that failed returns an *Error. After a transport
// error the Client is unusable and should be closed.
func (c *Client) Call(ctx context.Context, cmd string, args any, out any) error {
	req := Request{Cmd: cmd}
	if args != nil {
		raw, err := json.Marshal(args)
		if err != nil {
			return fmt.Errorf("admin: %s: encode args: %w", cmd, err)
		}
		req.Args = raw
	}
	line, err := json.Marshal(&req)
	if err != nil {
		return fmt.Errorf("admin: %s: encode request: %w", cmd, err)
	}
	line = append(line, '\n')
	if len(line) > MaxRequestSize {
		return fmt.Errorf("admin: %s: request of %d bytes exceeds %d", cmd, len(line), MaxRequestSize)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultCallTimeout)
	}
	if err := c.conn.SetDeadline(deadline); err != nil {
		return fmt.Errorf("admin: %s: %w", cmd, err)
	}
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	resp, err := c.roundTrip(line)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		} else if _, has := ctx.Deadline(); has && errors.Is(err, os.ErrDeadlineExceeded) {
			// The socket deadline (set from ctx) fired first.
			err = context.DeadlineExceeded
		}
		c.err = fmt.Errorf("admin: %s: %w", cmd, err)
		return c.err
	}
	if !resp.OK {
		return &Error{Cmd: cmd, Msg: resp.Error}
	}
	if out == nil || len(resp.Data) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(resp.Data))
	d.UseNumber()
	if err := d.Decode(out); err != nil {
		return fmt.Errorf("admin: %s: decode data: %w", cmd, err)
	}
	return nil
}

func (c *Client) roundTrip(line []byte) (*Response, error) {
	if _, werr := c.conn.Write(line); werr != nil {
		// The server may have answered and hung up before reading (e.g.
		// "server busy"): prefer its answer to the broken pipe.
		if resp, err := c.readResponse(); err == nil {
			return resp, nil
		}
		return nil, fmt.Errorf("send: %w", werr)
	}
	return c.readResponse()
}

func (c *Client) readResponse() (*Response, error) {
	var buf []byte
	for {
		part, err := c.r.ReadSlice('\n')
		buf = append(buf, part...)
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("read response: %w", err)
		}
		if len(buf) > MaxResponseSize {
			return nil, fmt.Errorf("read response: larger than %d bytes", MaxResponseSize)
		}
	}
	var resp Response
	if err := json.Unmarshal(buf, &resp); err != nil {
		return nil, fmt.Errorf("bad response: %w", err)
	}
	return &resp, nil
}
