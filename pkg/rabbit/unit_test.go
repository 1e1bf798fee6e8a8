package rabbit

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	amqp "github.com/rabbitmq/amqp091-go"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		name   string
		jitter float64
		want   []time.Duration
	}{
		{"no jitter", 0, []time.Duration{50, 100, 200, 400, 500, 500}},
		{"most jitter", 0.999999, []time.Duration{99, 199, 399, 799, 999, 999}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := backoff{initial: 100, max: 1000, rand: func() float64 { return tc.jitter }}
			var got []time.Duration
			for range tc.want {
				got = append(got, b.next())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("delays (-want +got):\n%s", diff)
			}
			b.reset()
			if got := b.next(); got != tc.want[0] {
				t.Errorf("after reset: %v, want %v", got, tc.want[0])
			}
		})
	}
}

func TestDeliveryCount(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want int
	}{{nil, 0}, {int64(3), 3}, {int32(4), 4}, {int16(5), 5}, {"6", 0}} {
		if got := deliveryCount(amqp.Table{"x-delivery-count": tc.v}); got != tc.want {
			t.Errorf("deliveryCount(%#v) = %d, want %d", tc.v, got, tc.want)
		}
	}
}

func TestRedact(t *testing.T) {
	got := redact("amqp://guest:hunter2@example.com:5672/shop")
	if want := "amqp://guest:xxxxx@example.com:5672/shop"; got != want {
		t.Errorf("redact = %q, want %q", got, want)
	}
}

func TestDeadLetterMessage(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	raw := &amqp.Delivery{
		Headers:     amqp.Table{"x-trace": "abc"},
		ContentType: "application/json", MessageId: "m1", Type: "T", CorrelationId: "o1",
		UserId: "someone", Expiration: "1000", Body: []byte("{}"),
	}
	got := deadLetterMessage(Delivery{raw: raw}, "billing", "bad input", now)
	want := amqp.Publishing{
		Headers: amqp.Table{
			"x-trace": "abc", HeaderDeathReason: "bad input", HeaderOriginalQueue: "billing",
			HeaderDeadLetteredAt: "2025-01-02T03:04:05.000000006Z",
		},
		ContentType: "application/json", DeliveryMode: amqp.Persistent,
		MessageId: "m1", Type: "T", CorrelationId: "o1", Body: []byte("{}"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dead letter (-want +got):\n%s", diff)
	}
	if _, ok := raw.Headers[HeaderDeathReason]; ok {
		t.Errorf("the delivery's own headers were modified")
	}
}
