package rabbit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	amqp "github.com/rabbitmq/amqp091-go"

	"bookshop/pkg/msg"
	"bookshop/pkg/rabbit/rabbittest"
)

func TestPackGroupsByQueueInOrder(t *testing.T) {
	var in []Publishing
	for i := range 7 {
		q := "billing"
		if i%2 == 1 {
			q = "fulfillment"
		}
		in = append(in, Publishing{RoutingKey: q, MessageID: fmt.Sprint("m", i), Type: "T", CorrelationID: "o", Body: []byte(fmt.Sprintf(`{"n":%d}`, i))})
	}
	// Each alone: headers are not packed, nor a body that is not JSON.
	in = append(in, Publishing{RoutingKey: "billing", MessageID: "h", Type: "T", Body: []byte(`{}`), Headers: map[string]any{"k": "v"}},
		Publishing{RoutingKey: "billing", MessageID: "x", Type: "T", Body: []byte(`not json`)})

	out := pack(in, 3)
	var got []string
	for _, p := range out {
		if p.Type != PackType {
			got = append(got, p.RoutingKey+":"+p.MessageID)
			continue
		}
		ms, err := unpack(p.Body)
		if err != nil {
			t.Fatalf("unpack %s: %v", p.Body, err)
		}
		ids := make([]string, len(ms))
		for i, m := range ms {
			ids[i] = m.ID
		}
		got = append(got, p.RoutingKey+":["+strings.Join(ids, " ")+"]")
	}
	want := []string{"billing:h", "billing:x", "billing:[m0 m2 m4]", "billing:m6", "fulfillment:[m1 m3 m5]"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packs (-want +got):\n%s", diff)
	}
	if got := pack(in, 1); len(got) != len(in) {
		t.Errorf("limit 1 packed: %d messages became %d", len(in), len(got))
	}
}

// What goes into a pack comes out the same, whatever its strings hold.
func TestPackRoundTrip(t *testing.T) {
	in := []Publishing{
		{RoutingKey: "frontend", MessageID: "01A", Type: "OrderStatusChanged", CorrelationID: `o"1\<&>`, Body: []byte(`{"a": [1, 2], "s": "é\u0000"}`)},
		{RoutingKey: "frontend", MessageID: "01B", Type: "OrderStatusChanged", CorrelationID: "o2", Body: []byte(`"just a string"`)},
	}
	p := packOf(in)
	if p.Type != PackType || p.RoutingKey != "frontend" || p.MessageID != "01A+1" || p.CorrelationID != "" {
		t.Errorf("pack properties %+v", p)
	}
	ms, err := unpack(p.Body)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		w := in[i]
		if m.ID != w.MessageID || m.Type != w.Type || m.CorrelationID != w.CorrelationID || string(m.Body) != string(w.Body) {
			t.Errorf("message %d came out as %+v, went in as %+v", i, m, w)
		}
	}
	if same := packOf(in[1:]); same.CorrelationID != "o2" {
		t.Errorf("a pack of one order's messages has correlation id %q", same.CorrelationID)
	}
}

func TestUnpackRefuses(t *testing.T) {
	for _, body := range []string{`nope`, `{"messages":[]}`, `{}`, `{"messages":[{"type":"T","body":{}}]}`,
		`{"messages":[{"id":"1","type":"T"}]}`} {
		if _, err := unpack([]byte(body)); err == nil {
			t.Errorf("unpack(%s) succeeded", body)
		}
	}
}

// Packed messages reach the handler one by one with their own properties;
// the broker carried fewer AMQP messages than that; a tap sees each body.
func TestPackedMessagesArriveOneByOne(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Pack, cfg.BatchSize = 16, 64
	tap, err := NewTap(context.Background(), cfg, "billing")
	if err != nil {
		t.Fatal(err)
	}
	defer tap.Close()
	rec := newRecorder()
	msgs, ids := messages("billing", "packed", 100)
	pub := newTestPublisher(t, cfg)
	publish(t, pub, msgs)
	if sent := pub.Sent(); sent != 7 { // 6 packs of 16 and one of 4
		t.Errorf("%d AMQP messages for 100 messages in packs of 16, want 7", sent)
	}
	startConsumer(t, cfg, "billing", rec.ackAll)
	waitFor(t, 15*time.Second, "all 100 messages", func() bool { return len(rec.missing(ids)) == 0 })
	for i, id := range ids {
		ds := rec.get(id)
		if len(ds) != 1 {
			t.Errorf("%s handled %d times", id, len(ds))
			continue
		}
		d, m := ds[0], msgs[i]
		if d.Type != m.Type || d.CorrelationID != m.CorrelationID || string(d.Body) != string(m.Body) || d.packed == 0 {
			t.Errorf("%s arrived as %+v, sent as %+v", id, d, m)
		}
	}
	seen := map[string]bool{}
	for len(seen) < len(msgs) {
		select {
		case b := <-tap.Bodies:
			seen[string(b)] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("tap saw %d of %d bodies", len(seen), len(msgs))
		}
	}
	if n := tap.Packs(); n != 7 {
		t.Errorf("tap counted %d packs, want 7", n)
	}
	waitFor(t, 10*time.Second, "billing queue to drain", func() bool {
		return rabbittest.QueueDepth(t, cfg.URL, "billing") == 0
	})
}

// Inside a pack, a message that fails for good is dead-lettered alone, with
// its own id, type and body; one that fails for now sends the whole pack
// back, and its neighbours, already handled, come again (an inbox drops
// them). Nothing is lost and the queue drains.
func TestPackSettlesEachMessage(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Pack, cfg.BatchSize = 10, 64
	rec, dead := newRecorder(), newRecorder()
	startConsumer(t, cfg, DeadLetterQueue("fulfillment"), dead.ackAll)
	msgs, ids := messages("fulfillment", "mixed", 10)
	publish(t, newTestPublisher(t, cfg), msgs)
	startConsumer(t, cfg, "fulfillment", func(_ context.Context, ds []Delivery) []error {
		errs := make([]error, len(ds))
		for i, d := range ds {
			rec.add(d)
			switch {
			case d.MessageID == ids[3]:
				errs[i] = msg.Permanent(errors.New("validate: items are required"))
			case d.MessageID == ids[6] && len(rec.get(d.MessageID)) == 1:
				errs[i] = errors.New("database busy")
			}
		}
		return errs
	})
	waitFor(t, 15*time.Second, "the dead letter", func() bool { return len(dead.get(ids[3])) == 1 })
	waitFor(t, 10*time.Second, "fulfillment queue to drain", func() bool {
		return rabbittest.QueueDepth(t, cfg.URL, "fulfillment") == 0
	})
	d := dead.get(ids[3])[0]
	if d.Type != msgs[3].Type || d.CorrelationID != msgs[3].CorrelationID || string(d.Body) != string(msgs[3].Body) ||
		d.Headers[HeaderDeathReason] != "validate: items are required" {
		t.Errorf("dead letter %+v, want a copy of %+v with its reason", d, msgs[3])
	}
	if n := dead.count(); n != 1 {
		t.Errorf("%d dead letters, want 1", n)
	}
	for _, id := range ids {
		if n := len(rec.get(id)); n != 2 {
			// First pass: all handled, 6 fails for now: the pack comes back.
			// Second pass: all again, 3 fails for good and goes alone.
			t.Errorf("%s handled %d times, want 2 (the pack came back once)", id, n)
		}
	}
}

// A pack that cannot be read is dead-lettered whole, saying why; the
// handler never sees it.
func TestUnreadablePackDeadLetters(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	var calls atomic.Int32
	startConsumer(t, cfg, "communication", func(_ context.Context, ds []Delivery) []error {
		calls.Add(int32(len(ds)))
		return make([]error, len(ds))
	})
	publishRaw(t, cfg, []outgoing{
		{exchange: Exchange, key: "communication", msg: amqp.Publishing{MessageId: "bad-pack", Type: PackType,
			DeliveryMode: amqp.Persistent, Body: []byte(`{"messages":[{"id":"1"}]}`)}},
		{exchange: Exchange, key: "communication", msg: amqp.Publishing{MessageId: "fine", Type: "T",
			DeliveryMode: amqp.Persistent, Body: []byte(`{}`)}},
	})
	// Read as the admin API does: a consumer would try to unpack it again.
	var dead []amqp.Delivery
	waitFor(t, 10*time.Second, "the dead letter", func() bool {
		dead = append(dead, getAll(t, cfg, DeadLetterQueue("communication"))...)
		return len(dead) > 0
	})
	waitFor(t, 10*time.Second, "the good message", func() bool { return calls.Load() == 1 })
	if len(dead) != 1 || dead[0].MessageId != "bad-pack" || dead[0].Type != PackType {
		t.Fatalf("dead letters %+v, want the pack", dead)
	}
	reason, _ := dead[0].Headers[HeaderDeathReason].(string)
	if !strings.Contains(reason, "unpack bookshop.pack") || !strings.Contains(reason, "id, type and body are required") {
		t.Errorf("reason %q", reason)
	}
}
