package rabbit

import (
	"context"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// The session behind the dead-letter operations of deadletters.go: take a
// whole queue unacknowledged, then give it back in order.

// deadLetterSession is one connection and the channel whose deliveries it
// holds.
type deadLetterSession struct {
	conn  *amqp.Connection
	ch    *amqp.Channel
	held  []amqp.Delivery
	ready int // messages the queue had ready after the last get
}

// openDeadLetters connects and declares the topology, as every program
// does, so that a dead-letter queue nobody declared yet is simply empty.
func openDeadLetters(ctx context.Context, cfg Config) (*deadLetterSession, error) {
	cfg = cfg.withDefaults()
	conn, err := dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	ch, err := conn.Channel()
	if err == nil {
		err = declare(ch, cfg.DeliveryLimit)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("open dead-letter channel on %s: %w", redact(cfg.URL), err)
	}
	return &deadLetterSession{conn: conn, ch: ch}, nil
}

// take gets every message of queue, unacknowledged.
func (s *deadLetterSession) take(ctx context.Context, queue string) error {
	if n, err := s.count(queue); err != nil {
		return err
	} else if n > DeadLetterHoldMax {
		return fmt.Errorf("%s holds %d messages, more than %d: %w", queue, n, DeadLetterHoldMax, ErrTooManyDeadLetters)
	}
	s.ready = 0
	for len(s.held) < DeadLetterHoldMax {
		if err := ctx.Err(); err != nil {
			return err
		}
		d, ok, err := s.ch.Get(queue, false /* autoAck */)
		if err != nil {
			return fmt.Errorf("get from %s: %w", queue, err)
		}
		if !ok {
			s.ready = 0
			return nil
		}
		s.held = append(s.held, d)
		s.ready = int(d.MessageCount)
	}
	return nil
}

// find returns the index of the first held message with the id, or -1.
func (s *deadLetterSession) find(queue, id string) int {
	for i := range s.held {
		if deadLetterID(queue, &s.held[i]) == id {
			return i
		}
	}
	return -1
}

// count returns the messages ready in queue.
func (s *deadLetterSession) count(queue string) (int, error) {
	q, err := s.ch.QueueDeclarePassive(queue,
		true,  // durable
		false, // autoDelete
		false, // exclusive
		false, // noWait
		nil)
	if err != nil {
		return 0, fmt.Errorf("count messages in %s: %w", queue, err)
	}
	return q.Messages, nil
}

// returnBatch is how many returns may be in flight at once (see the top).
const returnBatch = 16

// giveBack returns every held message of queue but the one at skip, oldest
// first, in batches, each applied before the next is sent.
func (s *deadLetterSession) giveBack(ctx context.Context, queue string, skip int) error {
	defer func() { s.held = s.held[:0] }()
	returned := 0
	for i, d := range s.held {
		if i != skip {
			if err := s.ch.Nack(d.DeliveryTag, false /* multiple */, true /* requeue */); err != nil {
				// The channel is gone; the broker returns what it still holds.
				return fmt.Errorf("give back message %s to %s: %w", d.MessageId, queue, err)
			}
			returned++
		}
		if (i+1)%returnBatch == 0 || i == len(s.held)-1 {
			if err := s.awaitReady(ctx, queue, s.ready+returned); err != nil {
				return err
			}
		}
	}
	return nil
}

// awaitReady waits until queue has at least n messages ready: the returns
// sent so far are applied. (A message arriving meanwhile may end the wait
// early; the returns then still in flight are the last ones, which a
// closing channel also gives back in their order.)
func (s *deadLetterSession) awaitReady(ctx context.Context, queue string, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		ready, err := s.count(queue)
		if err != nil {
			return err
		}
		if ready >= n {
			return nil
		}
		if !sleep(ctx, 2*time.Millisecond) {
			return fmt.Errorf("wait for %s to take back its messages (%d of %d ready): %w", queue, ready, n, ctx.Err())
		}
	}
}

func (s *deadLetterSession) close() {
	_ = s.ch.Close() // best effort: closing the connection closes it too
	_ = s.conn.Close()
}
