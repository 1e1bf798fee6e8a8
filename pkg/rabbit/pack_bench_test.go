package rabbit

import (
	"fmt"
	"os"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// BenchmarkPack: the relay's side of a pack of 64 OrderStatusChanged
// messages (the frontend's queue under load). Per message: ns/op / 64.
func BenchmarkPack(b *testing.B) {
	msgs := statusMessages(b, 64)
	b.ReportAllocs()
	for b.Loop() {
		if out := pack(msgs, 64); len(out) != 1 {
			b.Fatalf("%d packs", len(out))
		}
	}
}

// BenchmarkUnpack: the consumer's side of the same pack, into deliveries.
func BenchmarkUnpack(b *testing.B) {
	p := pack(statusMessages(b, 64), 64)[0]
	d := &amqp.Delivery{Type: p.Type, MessageId: p.MessageID, Body: p.Body}
	b.ReportAllocs()
	for b.Loop() {
		if ds := appendDeliveries(nil, "frontend", 1, nil, d); len(ds) != 64 || ds[0].unpackErr != nil {
			b.Fatalf("%d deliveries", len(ds))
		}
	}
}

func statusMessages(b *testing.B, n int) []Publishing {
	body, err := os.ReadFile("../msg/testdata/OrderStatusChanged.json")
	if err != nil {
		b.Fatal(err)
	}
	msgs := make([]Publishing, n)
	for i := range msgs {
		msgs[i] = Publishing{RoutingKey: "frontend", MessageID: fmt.Sprintf("01JABCDEFGHJKMNPQRSTVW%04d", i),
			Type: "OrderStatusChanged", CorrelationID: "01JABCDEFGHJKMNPQRSTVWXYZ0", Body: body}
	}
	return msgs
}
