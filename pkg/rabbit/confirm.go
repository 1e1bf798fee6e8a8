package rabbit

import (
	"context"
	"errors"
	"fmt"

	amqp "github.com/rabbitmq/amqp091-go"
)

// returnBuffer bounds the basic.returns buffered between drains. amqp091
// drops a return whose listener stays full for 5 s, which would make an
// unroutable message look confirmed; publish drains while it waits, so the
// buffer only has to absorb bursts.
const returnBuffer = 256

// outgoing is one message bound for an exchange.
type outgoing struct {
	exchange, key string
	msg           amqp.Publishing
}

// confirmChannel is a channel in confirm mode whose returns are collected by
// publish itself. amqp091 hands a basic.return to the listener before it
// handles the basic.ack that follows it, so once every confirm is in, every
// return for the batch is already in the buffer: no goroutine, no race.
// A publish that fails part-way leaves confirms and returns in flight; the
// owner must then discard the channel.
type confirmChannel struct {
	ch      *amqp.Channel
	returns chan amqp.Return
	sock    *corker // the connection's socket, to send a batch in one write; may be nil
}

func newConfirmChannel(conn *amqp.Connection) (*confirmChannel, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("open channel: %w", err)
	}
	if err := ch.Confirm(false /* noWait */); err != nil {
		return nil, fmt.Errorf("enable publisher confirms: %w", err)
	}
	returns := ch.NotifyReturn(make(chan amqp.Return, returnBuffer))
	return &confirmChannel{ch: ch, returns: returns}, nil
}

// publish sends every message, all in flight at once, as mandatory, and
// returns nil only once the broker confirmed each and returned none. With a
// corker the whole batch goes to the socket in one write.
func (cc *confirmChannel) publish(ctx context.Context, out []outgoing) error {
	if cc.sock != nil {
		cc.sock.cork()
	}
	pending, returned, err := cc.send(ctx, out)
	if cc.sock != nil {
		if uerr := cc.sock.uncork(); err == nil && uerr != nil {
			err = fmt.Errorf("send %d messages: %w", len(out), uerr)
		}
	}
	if err != nil {
		return err
	}
	for i, dc := range pending {
		var err error
		if returned, err = cc.await(ctx, dc, returned); err != nil {
			o := out[i]
			return fmt.Errorf("confirm message %s to %s/%s: %w", o.msg.MessageId, o.exchange, o.key, err)
		}
	}
	returned = cc.drain(returned)
	if len(returned) > 0 {
		r := returned[0]
		return fmt.Errorf("%w: %d of %d messages returned (first: message %s to %s/%s: %d %s)",
			ErrUnroutable, len(returned), len(out), r.MessageId, r.Exchange, r.RoutingKey, r.ReplyCode, r.ReplyText)
	}
	return nil
}

// send hands every message to amqp091, collecting returns meanwhile.
func (cc *confirmChannel) send(ctx context.Context, out []outgoing) ([]*amqp.DeferredConfirmation, []amqp.Return, error) {
	var returned []amqp.Return
	pending := make([]*amqp.DeferredConfirmation, 0, len(out))
	for _, o := range out {
		dc, err := cc.ch.PublishWithDeferredConfirmWithContext(ctx, o.exchange, o.key,
			true,  // mandatory: an unroutable message comes back as basic.return
			false, // immediate (unsupported by RabbitMQ)
			o.msg)
		if err != nil {
			return nil, nil, fmt.Errorf("publish message %s to %s/%s: %w", o.msg.MessageId, o.exchange, o.key, err)
		}
		pending = append(pending, dc)
		returned = cc.drain(returned)
	}
	return pending, returned, nil
}

// await waits for one confirm, collecting returns meanwhile.
func (cc *confirmChannel) await(ctx context.Context, dc *amqp.DeferredConfirmation, returned []amqp.Return) ([]amqp.Return, error) {
	for {
		select {
		case <-dc.Done():
			if dc.Acked() {
				return returned, nil
			}
			if cc.ch.IsClosed() {
				return returned, errors.New("channel closed before the broker confirmed")
			}
			return returned, errors.New("broker nacked")
		case r, ok := <-cc.returns:
			if ok {
				returned = append(returned, r)
			} else {
				// Closed with the channel; dc is about to be nacked.
				cc.returns = nil
			}
		case <-ctx.Done():
			return returned, ctx.Err()
		}
	}
}

// drain takes every return already buffered, without waiting.
func (cc *confirmChannel) drain(returned []amqp.Return) []amqp.Return {
	for {
		select {
		case r, ok := <-cc.returns:
			if !ok {
				cc.returns = nil
				return returned
			}
			returned = append(returned, r)
		default:
			return returned
		}
	}
}
