package rabbit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Operators' work on the dead-letter queues: list what is in them, replay
// one message to its original queue, or delete one, leaving every other
// message where it was, in its order. RabbitMQ 3.10 puts a message given
// back (nack-requeue) at the tail of a quorum queue, so an operation takes
// every message of the queue with basic.get (manual acks, one channel),
// acts on the chosen one, and gives the others back oldest first: the
// queue ends as it began, less the chosen message. (A queue that serves
// returns first, as later versions may, ends the same way.) Giving back
// keeps that order only if (measured on 3.10):
//   - each return names few messages: the queue applies a return of more
//     than 32 at once in hash order, and so does the channel when it has
//     more than 32 commands in flight (it stashes the rest and sends them
//     as one);
//   - every return is applied before the channel closes: the queue handles
//     a closed channel before returns still in its mailbox.
// So messages go back one nack each, returnBatch at a time, waiting after
// each batch until the queue counts them as ready again. A message
// dead-lettered during those few milliseconds lands ahead of the ones given
// back. Each return counts toward x-delivery-count; the dead-letter queues
// have no delivery limit (topology.go), so nothing is dropped for being
// looked at.

// PreviewBytes is how much of a dead letter's body ListDeadLetters returns.
const PreviewBytes = 200

// DeadLetterHoldMax is the most messages a dead-letter queue may hold for
// these operations: each holds the whole queue unacknowledged for a moment.
const DeadLetterHoldMax = 10000

// ErrTooManyDeadLetters is returned for a queue holding more than
// DeadLetterHoldMax messages.
var ErrTooManyDeadLetters = errors.New("rabbit: too many dead letters to look through without reordering them")

// ErrDeadLetterNotFound is returned by ReplayDeadLetter and DeleteDeadLetter
// when no queue holds a message with the id.
var ErrDeadLetterNotFound = errors.New("rabbit: no such dead letter")

// DeadLetter is one message kept in a dead-letter queue.
type DeadLetter struct {
	ID             string // the message id, or "sha256-…" of its queue and body when it has none
	Queue          string // the dead-letter queue holding it
	OriginalQueue  string // where it was consumed from, and where a replay sends it
	MessageID      string
	Type           string
	CorrelationID  string
	Reason         string    // x-death-reason, or the broker's own x-death reason
	DeadLetteredAt time.Time // zero when unknown
	Size           int       // bytes of the body
	Preview        []byte    // its first PreviewBytes
}

// ListDeadLetters returns the first limit messages of each queue, oldest
// first, and leaves them all where they were.
func ListDeadLetters(ctx context.Context, cfg Config, queues []string, limit int) ([]DeadLetter, error) {
	s, err := openDeadLetters(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer s.close()
	var out []DeadLetter
	for _, q := range queues {
		err := s.take(ctx, q)
		for i := range s.held[:min(limit, len(s.held))] {
			out = append(out, describeDeadLetter(q, &s.held[i]))
		}
		if err = errors.Join(err, s.giveBack(ctx, q, -1)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CountDeadLetters returns how many messages wait in each queue.
func CountDeadLetters(ctx context.Context, cfg Config, queues []string) (map[string]int, error) {
	s, err := openDeadLetters(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer s.close()
	out := make(map[string]int, len(queues))
	for _, q := range queues {
		if out[q], err = s.count(q); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ReplayDeadLetter finds message id in the first of queues that holds it,
// publishes it to its original queue (with body instead of its own body
// when body is not nil), waits for the broker's confirm, and only then
// removes it from the dead-letter queue. A crash in between leaves it in
// both: consumers drop the duplicate by message id.
func ReplayDeadLetter(ctx context.Context, cfg Config, queues []string, id string, body []byte) (DeadLetter, error) {
	return withDeadLetter(ctx, cfg, queues, id, func(s *deadLetterSession, d *amqp.Delivery, dl DeadLetter) error {
		cc, err := newConfirmChannel(s.conn)
		if err != nil {
			return fmt.Errorf("replay dead letter %s: %w", id, err)
		}
		defer cc.ch.Close()
		out := outgoing{exchange: Exchange, key: dl.OriginalQueue, msg: replayMessage(d, body, time.Now())}
		if err := cc.publish(ctx, []outgoing{out}); err != nil {
			return fmt.Errorf("replay dead letter %s to %s: %w", id, dl.OriginalQueue, err)
		}
		return nil
	})
}

// DeleteDeadLetter finds message id in the first of queues that holds it
// and removes it.
func DeleteDeadLetter(ctx context.Context, cfg Config, queues []string, id string) (DeadLetter, error) {
	return withDeadLetter(ctx, cfg, queues, id, nil)
}

// withDeadLetter looks for id queue by queue; once found it runs do (if
// any) and acks the message, and gives every other message back. If do
// fails, the message is given back too.
func withDeadLetter(ctx context.Context, cfg Config, queues []string, id string,
	do func(*deadLetterSession, *amqp.Delivery, DeadLetter) error) (DeadLetter, error) {
	s, err := openDeadLetters(ctx, cfg)
	if err != nil {
		return DeadLetter{}, err
	}
	defer s.close()
	for _, q := range queues {
		err := s.take(ctx, q)
		at := s.find(q, id)
		if err != nil || at < 0 {
			if err = errors.Join(err, s.giveBack(ctx, q, -1)); err != nil {
				return DeadLetter{}, err
			}
			continue
		}
		d := &s.held[at]
		dl := describeDeadLetter(q, d)
		if do != nil {
			if err := do(s, d, dl); err != nil {
				return DeadLetter{}, errors.Join(err, s.giveBack(ctx, q, -1))
			}
		}
		if err := s.ch.Ack(d.DeliveryTag, false /* multiple */); err != nil {
			return DeadLetter{}, fmt.Errorf("remove dead letter %s from %s: %w", id, q, err)
		}
		return dl, s.giveBack(ctx, q, at)
	}
	return DeadLetter{}, fmt.Errorf("dead letter %s: %w", id, ErrDeadLetterNotFound)
}

// deadLetterID is the message id, or a hash of queue and body for a message
// without one.
func deadLetterID(queue string, d *amqp.Delivery) string {
	if d.MessageId != "" {
		return d.MessageId
	}
	sum := sha256.Sum256(append([]byte(queue+"\n"), d.Body...))
	return "sha256-" + hex.EncodeToString(sum[:16])
}

func describeDeadLetter(queue string, d *amqp.Delivery) DeadLetter {
	dl := DeadLetter{ID: deadLetterID(queue, d), Queue: queue, MessageID: d.MessageId, Type: d.Type,
		CorrelationID: d.CorrelationId, Size: len(d.Body), Preview: d.Body[:min(len(d.Body), PreviewBytes)]}
	dl.OriginalQueue, dl.Reason, dl.DeadLetteredAt = deathFacts(queue, d)
	return dl
}

// deathFacts reads where a dead letter came from, why and when: from the
// headers pkg/rabbit's consumer sets, else from the x-death the broker adds
// when it dead-letters by itself (delivery limit), else from the queue's
// name and the message's timestamp.
func deathFacts(queue string, d *amqp.Delivery) (original, reason string, at time.Time) {
	original = strings.TrimSuffix(queue, ".dead-letter")
	reason, at = "unknown", d.Timestamp
	if deaths, ok := d.Headers["x-death"].([]any); ok && len(deaths) > 0 {
		if death, ok := deaths[0].(amqp.Table); ok {
			if q, ok := death["queue"].(string); ok && q != "" {
				original = q
			}
			if r, ok := death["reason"].(string); ok {
				reason = "broker: " + r
			}
			if t, ok := death["time"].(time.Time); ok {
				at = t
			}
		}
	}
	if q, ok := d.Headers[HeaderOriginalQueue].(string); ok && q != "" {
		original = q
	}
	if r, ok := d.Headers[HeaderDeathReason].(string); ok && r != "" {
		reason = r
	}
	if s, ok := d.Headers[HeaderDeadLetteredAt].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			at = t
		}
	}
	return original, reason, at
}

// replayMessage is the dead letter as it was first published, persistent,
// without the marks of its death (a replay is a fresh start: a quorum
// queue counts its deliveries anew), with body if not nil.
func replayMessage(d *amqp.Delivery, body []byte, now time.Time) amqp.Publishing {
	h := amqp.Table{}
	for k, v := range d.Headers {
		switch k {
		case "x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason",
			"x-last-death-exchange", "x-last-death-queue", "x-last-death-reason", "x-delivery-count",
			HeaderDeathReason, HeaderOriginalQueue, HeaderDeadLetteredAt:
			continue
		}
		h[k] = v
	}
	h["x-replayed-at"] = now.UTC().Format(time.RFC3339Nano)
	if body == nil {
		body = d.Body
	}
	return amqp.Publishing{
		Headers: h, ContentType: d.ContentType, ContentEncoding: d.ContentEncoding,
		DeliveryMode: amqp.Persistent, Priority: d.Priority, CorrelationId: d.CorrelationId,
		ReplyTo: d.ReplyTo, MessageId: d.MessageId, Timestamp: d.Timestamp, Type: d.Type,
		AppId: d.AppId, Body: body,
	}
}
