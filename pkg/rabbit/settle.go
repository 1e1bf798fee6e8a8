package rabbit

import (
	"context"
	"errors"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"bookshop/pkg/msg"
)

// deadLetterTimeout bounds waiting for the broker to confirm a dead letter.
const deadLetterTimeout = 10 * time.Second

// handleBatch calls the handler once and settles each delivery by its error.
// It returns an error, ending the generation, when a dead letter could not be
// published: that delivery was requeued, and a fresh connection is the
// surest way to a clean confirm channel.
func (c *Consumer) handleBatch(ctx context.Context, s *consumerSession, ds []Delivery) error {
	if c.live.Load() != s.gen {
		return errors.New("connection closed") // the broker redelivers the batch
	}
	errs := c.callHandler(ctx, ds)
	if allNil(errs) {
		c.ackAll(ds)
		return nil
	}
	var retry []Delivery
	var dlErr error
	for i, d := range ds {
		err := errs[i]
		switch {
		case err == nil:
			c.settle(d, true)
		case msg.IsPermanent(err):
			dlErr = errors.Join(dlErr, c.deadLetter(ctx, s, d, err.Error()))
		case d.DeliveryCount+1 >= c.cfg.DeliveryLimit:
			reason := fmt.Sprintf("delivery limit %d reached: %v", c.cfg.DeliveryLimit, err)
			dlErr = errors.Join(dlErr, c.deadLetter(ctx, s, d, reason))
		default:
			c.log.Warn("handler failed, will retry", "message_id", d.MessageID, "type", d.Type,
				"correlation_id", d.CorrelationID, "delivery_count", d.DeliveryCount, "err", err)
			retry = append(retry, d)
		}
	}
	if len(retry) > 0 {
		// Requeueing at once would spin on a failing dependency. During a
		// shutdown ctx is not cancelled yet, so the wait is bounded too.
		sleep(ctx, c.cfg.RequeueDelay)
		for _, d := range retry {
			c.settle(d, false)
		}
	}
	return dlErr
}

func allNil(errs []error) bool {
	for _, err := range errs {
		if err != nil {
			return false
		}
	}
	return true
}

// ackAll acks a whole batch with one basic.ack (multiple) of its last
// delivery: one frame, one write and one settlement in the quorum queue's
// log instead of one per message. It acks exactly the batch: deliveries
// arrive in tag order on one channel, a batch is what arrived next, and
// every earlier batch was settled before this one was taken.
func (c *Consumer) ackAll(ds []Delivery) {
	last := ds[len(ds)-1]
	if len(ds) == 1 || last.gen != c.live.Load() || last.ch.IsClosed() {
		for _, d := range ds {
			c.settle(d, true) // drops the acks of a dead generation
		}
		return
	}
	if err := last.ch.Ack(last.raw.DeliveryTag, true /* multiple */); err != nil {
		// The channel died in between; the broker redelivers.
		c.log.Warn("ack batch", "deliveries", len(ds), "last_message_id", last.MessageID, "err", err)
	}
}

// callHandler runs the handler, turning a panic or a wrong number of errors
// into a transient error for every delivery.
func (c *Consumer) callHandler(ctx context.Context, ds []Delivery) (errs []error) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("handler panicked", "panic", r, "batch", len(ds))
			errs = repeatErr(fmt.Errorf("handler panicked: %v", r), len(ds))
		}
	}()
	errs = c.handle(ctx, ds)
	if len(errs) != len(ds) {
		c.log.Error("handler returned the wrong number of errors", "want", len(ds), "got", len(errs))
		return repeatErr(fmt.Errorf("handler returned %d errors for %d deliveries", len(errs), len(ds)), len(ds))
	}
	return errs
}

func repeatErr(err error, n int) []error {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}

// settle acks or nack-requeues d on the channel that delivered it, unless
// that generation is gone: its delivery tags mean nothing on any other
// channel, and the broker redelivers what it never saw settled.
func (c *Consumer) settle(d Delivery, ack bool) {
	if d.gen != c.live.Load() || d.ch.IsClosed() {
		c.log.Debug("dropping settlement of a delivery from a closed connection",
			"message_id", d.MessageID, "generation", d.gen, "ack", ack)
		return
	}
	var err error
	if ack {
		err = d.ch.Ack(d.raw.DeliveryTag, false /* multiple */)
	} else {
		err = d.ch.Nack(d.raw.DeliveryTag,
			false, // multiple
			true)  // requeue
	}
	if err != nil {
		// The channel died in between; the broker redelivers.
		c.log.Warn("settle delivery", "message_id", d.MessageID, "ack", ack, "err", err)
	}
}

// deadLetter publishes a copy of d to DeadLetterExchange, waits for the
// confirm, and only then acks d. If the copy is not confirmed, d is requeued.
func (c *Consumer) deadLetter(ctx context.Context, s *consumerSession, d Delivery, reason string) error {
	ctx, cancel := context.WithTimeout(ctx, deadLetterTimeout)
	defer cancel()
	out := outgoing{exchange: DeadLetterExchange, key: c.queue, msg: deadLetterMessage(d, c.queue, reason, c.now())}
	if err := s.dl.publish(ctx, []outgoing{out}); err != nil {
		c.settle(d, false)
		return fmt.Errorf("dead-letter message %s: %w", d.MessageID, err)
	}
	c.settle(d, true)
	c.log.Error("message dead-lettered", "message_id", d.MessageID, "type", d.Type,
		"correlation_id", d.CorrelationID, "reason", reason)
	return nil
}

// deadLetterMessage copies d's body and properties, persistent, adding why,
// from where and when. UserId and Expiration are left out: the broker
// refuses a foreign user id, and a dead letter must not expire.
func deadLetterMessage(d Delivery, queue, reason string, now time.Time) amqp.Publishing {
	r := d.raw
	h := make(amqp.Table, len(r.Headers)+3)
	for k, v := range r.Headers {
		h[k] = v
	}
	h[HeaderDeathReason] = reason
	h[HeaderOriginalQueue] = queue
	h[HeaderDeadLetteredAt] = now.UTC().Format(time.RFC3339Nano)
	return amqp.Publishing{
		Headers:         h,
		ContentType:     r.ContentType,
		ContentEncoding: r.ContentEncoding,
		DeliveryMode:    amqp.Persistent,
		Priority:        r.Priority,
		CorrelationId:   r.CorrelationId,
		ReplyTo:         r.ReplyTo,
		MessageId:       r.MessageId,
		Timestamp:       r.Timestamp,
		Type:            r.Type,
		AppId:           r.AppId,
		Body:            r.Body,
	}
}
