package rabbit

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

const (
	heartbeat   = 10 * time.Second
	dialTimeout = 5 * time.Second
)

// dial opens one connection. The TCP connect and the AMQP handshake are both
// bounded by dialTimeout and abandoned when ctx is cancelled, so a shutdown
// never waits on an unreachable broker.
func dial(ctx context.Context, cfg Config) (*amqp.Connection, error) {
	conn, _, err := dialCorked(ctx, cfg)
	return conn, err
}

// dialCorked is dial that also returns the connection's socket as a corker,
// for a publisher to send a batch in one write.
func dialCorked(ctx context.Context, cfg Config) (*amqp.Connection, *corker, error) {
	var ck *corker
	props := amqp.NewConnectionProperties()
	props.SetClientConnectionName(cfg.ConnectionName)
	stop := func() bool { return true }
	conn, err := amqp.DialConfig(cfg.URL, amqp.Config{
		Heartbeat:  heartbeat,
		Properties: props,
		Dial: func(network, addr string) (net.Conn, error) {
			d := net.Dialer{Timeout: dialTimeout}
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			// Cleared by amqp091 once the handshake completes.
			if err := c.SetDeadline(time.Now().Add(dialTimeout)); err != nil {
				c.Close()
				return nil, err
			}
			stop = context.AfterFunc(ctx, func() { c.Close() })
			ck = &corker{Conn: c}
			return ck, nil
		},
	})
	if !stop() && err == nil {
		conn.Close()
		err = ctx.Err()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("connect to %s: %w", redact(cfg.URL), err)
	}
	return conn, ck, nil
}

// corker is a connection's socket that can gather writes. amqp091 flushes
// each message's frames on their own: a write to the socket per message
// published, and a read per message on the broker's side. Between cork and
// uncork every write (amqp091's and, in order, anything else it sends then,
// such as a heartbeat) is kept, and uncork sends them all in one write.
type corker struct {
	net.Conn
	mu     sync.Mutex
	corked bool
	buf    []byte
}

func (c *corker) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.corked {
		c.buf = append(c.buf, p...)
		return len(p), nil
	}
	return c.Conn.Write(p)
}

func (c *corker) cork() {
	c.mu.Lock()
	c.corked = true
	c.mu.Unlock()
}

// uncork writes what was gathered. A failed write leaves the stream cut in
// the middle of a frame, so it closes the socket: amqp091 sees the
// connection end, and the publisher reconnects.
func (c *corker) uncork() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.corked = false
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.buf)
	if cap(c.buf) > 1<<20 {
		c.buf = nil // a rare huge batch does not stay held
	} else {
		c.buf = c.buf[:0]
	}
	if err != nil {
		c.Conn.Close()
	}
	return err
}

// redact returns the URL with its password replaced, fit for logs and errors.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable amqp url>"
	}
	return u.Redacted()
}

// backoff is exponential backoff with "equal jitter": each delay is drawn
// from [d/2, d) where d doubles from initial up to max.
type backoff struct {
	initial, max time.Duration
	rand         func() float64 // in [0, 1)
	attempt      int
}

// next returns the delay before the next attempt and counts the attempt.
func (b *backoff) next() time.Duration {
	d := b.initial
	for i := 0; i < b.attempt && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	b.attempt++
	return d/2 + time.Duration(b.rand()*float64(d/2))
}

func (b *backoff) reset() { b.attempt = 0 }

// sleep waits for d or until ctx is done, reporting whether it slept fully.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
