package rabbit

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
//
// The messages of a pack share one AMQP delivery, settled once for all of
// them: acked when each was handled or dead-lettered on its own, requeued
// whole when any is to be retried (those already handled are committed, and
// their inbox drops them when the pack comes again).
func (c *Consumer) handleBatch(ctx context.Context, s *consumerSession, ds []Delivery) error {
	if c.live.Load() != s.gen {
		return errors.New("connection closed") // the broker redelivers the batch
	}
	errs := c.callHandler(ctx, ds)
	if allNil(errs) {
		c.ackAll(ds)
		return nil
	}
	var retry []Delivery // one per AMQP delivery
	var dlErr error
	for i := 0; i < len(ds); {
		n := max(ds[i].packed, 1) // a pack's messages are consecutive, never split
		unit, uerrs := ds[i:i+n], errs[i:i+n]
		i += n
		if c.retries(unit, uerrs) {
			retry = append(retry, unit[0])
			continue
		}
		var err error
		for j, d := range unit {
			if uerrs[j] != nil {
				err = errors.Join(err, c.deadLetter(ctx, s, d, c.deathReason(d, uerrs[j])))
			}
		}
		if err != nil {
			c.settle(unit[0], false)
			dlErr = errors.Join(dlErr, err)
			continue
		}
		c.settle(unit[0], true)
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

// retries reports whether the AMQP delivery of unit goes back to the queue:
// one of its messages failed for a reason that may pass, and the delivery
// limit is not reached. It logs each such failure.
func (c *Consumer) retries(unit []Delivery, errs []error) bool {
	again := false
	for i, d := range unit {
		err := errs[i]
		if err == nil || msg.IsPermanent(err) || d.DeliveryCount+1 >= c.cfg.DeliveryLimit {
			continue
		}
		c.log.Warn("handler failed, will retry", "message_id", d.MessageID, "type", d.Type,
			"correlation_id", d.CorrelationID, "delivery_count", d.DeliveryCount, "err", err)
		again = true
	}
	return again
}

// deathReason says why d, whose handling failed with err, is dead-lettered.
func (c *Consumer) deathReason(d Delivery, err error) string {
	if msg.IsPermanent(err) {
		return err.Error()
	}
	return fmt.Sprintf("delivery limit %d reached: %v", c.cfg.DeliveryLimit, err)
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

// callHandler runs the handler on every delivery but unreadable packs (each
// of those fails for good), turning a panic or a wrong number of errors into
// a transient error for every delivery it was given.
func (c *Consumer) callHandler(ctx context.Context, ds []Delivery) []error {
	if !slices.ContainsFunc(ds, func(d Delivery) bool { return d.unpackErr != nil }) {
		return c.callHandlerOn(ctx, ds)
	}
	errs := make([]error, len(ds))
	var readable []Delivery
	var idx []int
	for i, d := range ds {
		if d.unpackErr != nil {
			errs[i] = msg.Permanent(d.unpackErr)
		} else {
			readable, idx = append(readable, d), append(idx, i)
		}
	}
	if len(readable) > 0 {
		for j, err := range c.callHandlerOn(ctx, readable) {
			errs[idx[j]] = err
		}
	}
	return errs
}

func (c *Consumer) callHandlerOn(ctx context.Context, ds []Delivery) (errs []error) {
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

// deadLetter publishes a copy of d to DeadLetterExchange and waits for the
// confirm. The caller settles d's AMQP delivery: acked once each of its
// messages was handled or dead-lettered, requeued if a copy failed.
func (c *Consumer) deadLetter(ctx context.Context, s *consumerSession, d Delivery, reason string) error {
	ctx, cancel := context.WithTimeout(ctx, deadLetterTimeout)
	defer cancel()
	out := outgoing{exchange: DeadLetterExchange, key: c.queue, msg: deadLetterMessage(d, c.queue, reason, c.now())}
	if err := s.dl.publish(ctx, []outgoing{out}); err != nil {
		return fmt.Errorf("dead-letter message %s: %w", d.MessageID, err)
	}
	c.log.Error("message dead-lettered", "message_id", d.MessageID, "type", d.Type,
		"correlation_id", d.CorrelationID, "reason", reason)
	return nil
}

// deadLetterMessage copies d's body and properties, persistent, adding why,
// from where and when; a message out of a pack goes alone, with its own id,
// type and correlation id and the pack's other properties. UserId and
// Expiration are left out: the broker refuses a foreign user id, and a dead
// letter must not expire.
func deadLetterMessage(d Delivery, queue, reason string, now time.Time) amqp.Publishing {
	r := d.raw
	h := make(amqp.Table, len(d.Headers)+3)
	for k, v := range d.Headers {
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
		CorrelationId:   d.CorrelationID,
		ReplyTo:         r.ReplyTo,
		MessageId:       d.MessageID,
		Timestamp:       r.Timestamp,
		Type:            d.Type,
		AppId:           r.AppId,
		Body:            d.Body,
	}
}
