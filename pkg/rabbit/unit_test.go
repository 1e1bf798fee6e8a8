package rabbit

import (
	"errors"
	"net"
	"slices"
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
	got := deadLetterMessage(newDelivery("billing", 1, nil, raw), "billing", "bad input", now)
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

// recordingConn is a net.Conn that records each Write.
type recordingConn struct {
	net.Conn
	writes [][]byte
	fail   error
}

func (c *recordingConn) Write(p []byte) (int, error) {
	if c.fail != nil {
		return 0, c.fail
	}
	c.writes = append(c.writes, append([]byte(nil), p...))
	return len(p), nil
}

func (c *recordingConn) Close() error { return nil }

// Between cork and uncork, writes are gathered in order and go out as one;
// otherwise each goes straight through; a failed uncork reports the error.
func TestCorker(t *testing.T) {
	rc := &recordingConn{}
	c := &corker{Conn: rc}
	if _, err := c.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
	c.cork()
	for _, s := range []string{"b", "cd", "e"} {
		if n, err := c.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("corked Write(%q) = %d, %v", s, n, err)
		}
	}
	if len(rc.writes) != 1 {
		t.Fatalf("%d writes reached the socket while corked, want only the one before", len(rc.writes))
	}
	if err := c.uncork(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("f")); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range rc.writes {
		got = append(got, string(w))
	}
	if want := []string{"a", "bcde", "f"}; !slices.Equal(got, want) {
		t.Errorf("socket writes %q, want %q", got, want)
	}
	if err := c.uncork(); err != nil || len(rc.writes) != 3 {
		t.Errorf("uncork with nothing gathered: %v, %d writes", err, len(rc.writes))
	}
	rc.fail = errors.New("broken pipe")
	c.cork()
	_, _ = c.Write([]byte("g"))
	if err := c.uncork(); err == nil {
		t.Error("uncork hid the socket's error")
	}
}
