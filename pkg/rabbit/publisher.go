package rabbit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Publisher publishes batches with confirms on one connection and one
// channel. It connects lazily, and after any failure it drops the connection
// so the next call starts on a fresh one: a failed batch may leave confirms
// and returns in flight that must not be mistaken for the next batch's.
type Publisher struct {
	cfg     Config
	log     *slog.Logger
	current atomic.Pointer[publisherSession] // for Connected, without the lock
	sent    atomic.Uint64                    // AMQP messages confirmed: a pack counts once

	mu     sync.Mutex // serialises Publish, Connect and Close; guards below
	sess   *publisherSession
	closed bool
}

type publisherSession struct {
	conn *amqp.Connection
	cc   *confirmChannel
	lost atomic.Bool // set when the connection closes
}

// NewPublisher returns a Publisher; it does not connect until first used.
// A nil log discards.
func NewPublisher(cfg Config, log *slog.Logger) *Publisher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Publisher{cfg: cfg.withDefaults(), log: log}
}

// Publish sends all msgs as persistent, mandatory messages to Exchange, all in
// flight at once, and returns nil only after the broker confirmed every one.
// With Config.Pack, the messages for one queue go in packs (PackType).
// A nack, an unroutable message (wrapping ErrUnroutable) or a lost connection
// is an error, and the caller retries the whole batch later: delivery is at
// least once.
func (p *Publisher) Publish(ctx context.Context, msgs []Publishing) error {
	if len(msgs) == 0 {
		return nil
	}
	for _, m := range msgs {
		if err := amqp.Table(m.Headers).Validate(); err != nil {
			return fmt.Errorf("message %s headers: %w", m.MessageID, err)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s, err := p.session(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	amqpMsgs := pack(msgs, p.cfg.Pack)
	out := make([]outgoing, len(amqpMsgs))
	for i, m := range amqpMsgs {
		out[i] = outgoing{exchange: Exchange, key: m.RoutingKey, msg: amqpPublishing(m, now)}
	}
	if err := s.cc.publish(ctx, out); err != nil {
		// After a return every confirm and return of the batch has arrived,
		// so the channel is clean; after anything else it may not be.
		if !errors.Is(err, ErrUnroutable) {
			p.drop()
		}
		return fmt.Errorf("publish %d messages: %w", len(msgs), err)
	}
	p.sent.Add(uint64(len(out)))
	return nil
}

// Sent returns how many AMQP messages the broker has confirmed: a pack
// counts once, however many messages it carried.
func (p *Publisher) Sent() uint64 { return p.sent.Load() }

// Connect connects now rather than on the first Publish (say, to report
// readiness early). It is a no-op when already connected.
func (p *Publisher) Connect(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := p.session(ctx)
	return err
}

// Connected reports whether the publisher holds an open connection.
func (p *Publisher) Connected() bool {
	s := p.current.Load()
	return s != nil && !s.lost.Load()
}

// Close closes the connection; later calls to Publish return ErrClosed.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.sess == nil {
		return nil
	}
	err := p.sess.conn.Close()
	p.sess = nil
	p.current.Store(nil)
	if err != nil && !errors.Is(err, amqp.ErrClosed) {
		return fmt.Errorf("close publisher connection: %w", err)
	}
	return nil
}

// session returns the live session, opening one if there is none.
func (p *Publisher) session(ctx context.Context) (*publisherSession, error) {
	if p.closed {
		return nil, ErrClosed
	}
	if p.sess != nil && !p.sess.conn.IsClosed() && !p.sess.cc.ch.IsClosed() {
		return p.sess, nil
	}
	p.drop()
	conn, sock, err := dialCorked(ctx, p.cfg)
	if err != nil {
		return nil, err
	}
	s, err := p.setup(conn, sock)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("set up publisher on %s: %w", redact(p.cfg.URL), err)
	}
	p.sess = s
	p.current.Store(s)
	p.log.Info("rabbit publisher connected", "url", redact(p.cfg.URL), "connection_name", p.cfg.ConnectionName)
	return s, nil
}

func (p *Publisher) setup(conn *amqp.Connection, sock *corker) (*publisherSession, error) {
	cc, err := newConfirmChannel(conn)
	if err != nil {
		return nil, err
	}
	cc.sock = sock
	if err := declare(cc.ch, p.cfg.DeliveryLimit); err != nil {
		return nil, err
	}
	s := &publisherSession{conn: conn, cc: cc}
	closes := conn.NotifyClose(make(chan *amqp.Error, 1))
	go p.watch(s, closes)
	return s, nil
}

// watch drains the close notification and clears Connected for /readyz.
func (p *Publisher) watch(s *publisherSession, closes <-chan *amqp.Error) {
	err := <-closes
	for range closes {
	}
	if err != nil {
		p.log.Warn("rabbit publisher connection lost", "url", redact(p.cfg.URL), "err", err)
	}
	s.lost.Store(true)
}

// drop discards the current session, if any.
func (p *Publisher) drop() {
	if p.sess == nil {
		return
	}
	_ = p.sess.conn.Close() // best effort: the connection is being abandoned
	p.sess = nil
	p.current.Store(nil)
}

func amqpPublishing(m Publishing, now time.Time) amqp.Publishing {
	return amqp.Publishing{
		Headers:       amqp.Table(m.Headers),
		ContentType:   "application/json",
		DeliveryMode:  amqp.Persistent,
		CorrelationId: m.CorrelationID,
		MessageId:     m.MessageID,
		Timestamp:     now,
		Type:          m.Type,
		Body:          m.Body,
	}
}
