package harness

import (
	"encoding/json"
	"slices"
	"strings"
)

// Terminal saga states: an order in one of them is finished.
var Terminal = []string{"completed", "declined", "cancelled", "resolved"}

// IsTerminal reports whether a saga state is terminal.
func IsTerminal(state string) bool { return slices.Contains(Terminal, state) }

// Text is a JSON value read as text: a string as it is, anything else (a
// number, an object) as its JSON. The harness reads other programs' output
// and should not fail on an id that is a number or a detail that is an object.
type Text string

// UnmarshalJSON implements json.Unmarshaler.
func (t *Text) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = Text(s)
		return nil
	}
	if string(b) == "null" {
		*t = ""
		return nil
	}
	*t = Text(b)
	return nil
}

// Saga is GET /admin/orders/{id}.
type Saga struct {
	ID            string          `json:"id"`
	State         string          `json:"state"`
	Step          string          `json:"step"`
	Attempts      int             `json:"attempts"`
	NextAttemptAt Text            `json:"next_attempt_at"`
	StuckSince    Text            `json:"stuck_since"`
	LastError     Text            `json:"last_error"`
	Version       int64           `json:"version"`
	Data          json.RawMessage `json:"data"`
	CreatedAt     Text            `json:"created_at"`
	UpdatedAt     Text            `json:"updated_at"`
	History       []HistoryEntry  `json:"history"`
}

// HistoryEntry is one transition, or one retry, of a saga.
type HistoryEntry struct {
	Seq       int64  `json:"seq"`
	At        Text   `json:"at"`
	Event     string `json:"event"`
	From      string `json:"from"`
	To        string `json:"to"`
	MessageID Text   `json:"message_id"`
	Detail    Text   `json:"detail"`
}

// Events lists the history's events, in order.
func (s Saga) Events() []string {
	out := make([]string, len(s.History))
	for i, h := range s.History {
		out[i] = h.Event
	}
	return out
}

// Count counts the history entries whose event contains word.
func (s Saga) Count(word string) int {
	n := 0
	for _, h := range s.History {
		if strings.Contains(h.Event, word) {
			n++
		}
	}
	return n
}

// Path lists the states the saga went through, from its history.
func (s Saga) Path() []string {
	var out []string
	for _, h := range s.History {
		if h.To == "" || (len(out) > 0 && out[len(out)-1] == h.To) {
			continue
		}
		if len(out) == 0 && h.From != "" {
			out = append(out, h.From)
		}
		out = append(out, h.To)
	}
	return out
}

// Stats is GET /admin/stats.
type Stats struct {
	States map[string]int `json:"states"`
	Total  int            `json:"total"`
}

// OrderList is GET /admin/orders.
type OrderList struct {
	Orders []OrderSummary `json:"orders"`
	Next   Text           `json:"next"`
}

// OrderSummary is one row of GET /admin/orders.
type OrderSummary struct {
	ID            string `json:"id"`
	State         string `json:"state"`
	Step          string `json:"step"`
	Attempts      int    `json:"attempts"`
	NextAttemptAt Text   `json:"next_attempt_at"`
	StuckSince    Text   `json:"stuck_since"`
	UpdatedAt     Text   `json:"updated_at"`
}

// Payment is one row of billing's GET /payments.
type Payment struct {
	ID          Text   `json:"id"`
	OrderID     string `json:"order_id"`
	Kind        string `json:"kind"`
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
	Status      string `json:"status"`
	CreatedAt   Text   `json:"created_at"`
}

// Shipment is one row of fulfillment's GET /shipments.
type Shipment struct {
	ID           Text   `json:"id"`
	OrderID      string `json:"order_id"`
	Status       string `json:"status"`
	ExpectedDate string `json:"expected_date"`
	TrackingID   string `json:"tracking_id"`
}

// Email is one row of communication's GET /emails.
type Email struct {
	ID       Text   `json:"id"`
	OrderID  string `json:"order_id"`
	To       string `json:"to"`
	Template string `json:"template"`
	Subject  string `json:"subject"`
	SentAt   Text   `json:"sent_at"`
}

// Stock is one row of fulfillment's GET /stock.
type Stock struct {
	ISBN      string `json:"isbn"`
	Available int    `json:"available"`
	Reserved  int    `json:"reserved"`
}

// FrontendOrder is the frontend's GET /api/orders/{id}, the fields the
// tests look at.
type FrontendOrder struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	State         string `json:"state"`
	TotalCents    int64  `json:"total_cents"`
	Currency      string `json:"currency"`
	FailureReason string `json:"failure_reason"`
	UpdatedAt     Text   `json:"updated_at"`
}
