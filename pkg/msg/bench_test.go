package msg_test

import (
	"testing"

	"bookshop/pkg/msg"
)

// BenchmarkEncode wraps each message type in an envelope and encodes it as
// a body, as a handler's reply does on its way to the outbox.
func BenchmarkEncode(b *testing.B) {
	for _, m := range examples {
		b.Run(m.MessageType(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				env, err := msg.New(m, "ord-1", "cause-1", at)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := env.Marshal(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecode parses and validates a body of each message type, as the
// inbox does with every delivery.
func BenchmarkDecode(b *testing.B) {
	for _, m := range examples {
		env, err := msg.New(m, "ord-1", "cause-1", at)
		if err != nil {
			b.Fatal(err)
		}
		body, err := env.Marshal()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(m.MessageType(), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, _, err := msg.Decode(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
