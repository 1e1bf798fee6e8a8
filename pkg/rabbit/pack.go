package rabbit

import (
	"encoding/json"
	"fmt"

	"github.com/go-json-experiment/json/jsontext"
	amqp "github.com/rabbitmq/amqp091-go"

	"bookshop/pkg/msg"
)

// PackType is the AMQP type of a pack: one AMQP message that carries several
// messages bound for the same queue, so that the broker routes, stores,
// confirms, delivers and settles them once instead of once each. Every
// message inside keeps its own id, type, correlation id and body (its
// envelope); a Consumer unpacks a pack before its handler sees anything, so
// handlers, inboxes and dead letters still deal in single messages.
//
// Its body is JSON, readable in the broker's tools:
//
//	{"messages": [{"id": "...", "type": "...", "correlation_id": "...", "body": {...}}, ...]}
const PackType = "bookshop.pack"

// packedMessage is one message inside a pack.
type packedMessage struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	CorrelationID string          `json:"correlation_id"`
	Body          json.RawMessage `json:"body"`
}

// packable reports whether m can travel inside a pack: a pack keeps no
// headers, and its body must be JSON to sit in the pack's JSON as it is.
func packable(m Publishing) bool {
	return len(m.Headers) == 0 && jsontext.Value(m.Body).IsValid()
}

// pack groups msgs by routing key into packs of at most limit messages each,
// keeping the order of each queue's messages. A message that cannot be
// packed, or would be alone in its pack, goes as it is. limit < 2 packs
// nothing.
func pack(msgs []Publishing, limit int) []Publishing {
	if limit < 2 || len(msgs) < 2 {
		return msgs
	}
	var keys []string // routing keys in order of first appearance
	byKey := map[string][]Publishing{}
	out := make([]Publishing, 0, len(msgs))
	for _, m := range msgs {
		if !packable(m) {
			out = append(out, m)
			continue
		}
		if _, ok := byKey[m.RoutingKey]; !ok {
			keys = append(keys, m.RoutingKey)
		}
		byKey[m.RoutingKey] = append(byKey[m.RoutingKey], m)
	}
	for _, k := range keys {
		ms := byKey[k]
		for len(ms) > 0 {
			n := min(len(ms), limit)
			if n == 1 {
				out = append(out, ms[0])
			} else {
				out = append(out, packOf(ms[:n]))
			}
			ms = ms[n:]
		}
	}
	return out
}

// packOf makes one pack of ms, all for the same queue and all packable.
func packOf(ms []Publishing) Publishing {
	size := 16
	for _, m := range ms {
		size += len(m.Body) + len(m.MessageID) + len(m.Type) + len(m.CorrelationID) + 64
	}
	b := make([]byte, 0, size)
	b = append(b, `{"messages":[`...)
	corr := ms[0].CorrelationID
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = msg.AppendString(b, m.MessageID)
		b = append(b, `,"type":`...)
		b = msg.AppendString(b, m.Type)
		b = append(b, `,"correlation_id":`...)
		b = msg.AppendString(b, m.CorrelationID)
		b = append(b, `,"body":`...)
		b = append(b, m.Body...)
		b = append(b, '}')
		if m.CorrelationID != corr {
			corr = ""
		}
	}
	b = append(b, "]}"...)
	return Publishing{
		RoutingKey: ms[0].RoutingKey,
		// The pack's own id names its first message and how many follow;
		// nothing deduplicates by it (inboxes see the messages inside).
		MessageID:     fmt.Sprintf("%s+%d", ms[0].MessageID, len(ms)-1),
		Type:          PackType,
		CorrelationID: corr, // the order id when all share one
		Body:          b,
	}
}

// unpack reads a pack's messages.
func unpack(body []byte) ([]packedMessage, error) {
	var p struct {
		Messages []packedMessage `json:"messages"`
	}
	if err := msg.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("unpack %s: %w", PackType, err)
	}
	if len(p.Messages) == 0 {
		return nil, fmt.Errorf("unpack %s: no messages", PackType)
	}
	for i, m := range p.Messages {
		if m.ID == "" || m.Type == "" || len(m.Body) == 0 {
			return nil, fmt.Errorf("unpack %s: message %d: id, type and body are required", PackType, i)
		}
	}
	return p.Messages, nil
}

// appendDeliveries appends what the handler sees of d: d itself, or each
// message of the pack it is. The messages of a pack share its delivery tag
// and count; a pack that cannot be read is one delivery that carries why.
func appendDeliveries(ds []Delivery, queue string, gen uint64, ch *amqp.Channel, d *amqp.Delivery) []Delivery {
	one := newDelivery(queue, gen, ch, d)
	if d.Type != PackType {
		return append(ds, one)
	}
	ms, err := unpack(d.Body)
	if err != nil {
		one.unpackErr = err
		return append(ds, one)
	}
	for _, m := range ms {
		in := one
		in.MessageID, in.Type, in.CorrelationID, in.Body = m.ID, m.Type, m.CorrelationID, m.Body
		in.Headers = nil
		in.packed = len(ms)
		ds = append(ds, in)
	}
	return ds
}
