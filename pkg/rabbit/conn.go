package rabbit

import (
	"context"
	"fmt"
	"net"
	"net/url"
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
			return c, nil
		},
	})
	if !stop() && err == nil {
		conn.Close()
		err = ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", redact(cfg.URL), err)
	}
	return conn, nil
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
