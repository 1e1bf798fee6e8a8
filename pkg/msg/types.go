package msg

import (
	"fmt"
	"strings"
	"time"
)

// Destinations: every service consumes one queue named after itself.
const (
	Orchestrator  = "orchestrator"
	Billing       = "billing"
	Fulfillment   = "fulfillment"
	Communication = "communication"
	Frontend      = "frontend"
)

// Email templates.
const (
	TemplateOrderConfirmed  = "order_confirmed"
	TemplatePaymentDeclined = "payment_declined"
	TemplateOrderCancelled  = "order_cancelled"
)

// Customer is who buys.
type Customer struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Item is one line of an order, priced from the catalog.
type Item struct {
	ISBN       string `json:"isbn"`
	Title      string `json:"title,omitempty"`
	Author     string `json:"author,omitempty"`
	Quantity   int    `json:"quantity"`
	PriceCents int64  `json:"price_cents"`
}

// Address is where the books go.
type Address struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

// StartPurchase (frontend → orchestrator) starts the saga of a new order.
type StartPurchase struct {
	OrderID         string    `json:"order_id"`
	Customer        Customer  `json:"customer"`
	Items           []Item    `json:"items"`
	TotalCents      int64     `json:"total_cents"`
	Currency        string    `json:"currency"`
	PaymentToken    string    `json:"payment_token"`
	ShippingAddress Address   `json:"shipping_address"`
	PlacedAt        time.Time `json:"placed_at"`
}

// CancelPurchase (frontend or operator → orchestrator) asks to cancel an order.
type CancelPurchase struct {
	OrderID     string `json:"order_id"`
	Reason      string `json:"reason,omitempty"`
	RequestedBy string `json:"requested_by,omitempty"` // "customer" or an operator's name
}

// ChargePayment (orchestrator → billing) charges the order's total once.
type ChargePayment struct {
	OrderID      string `json:"order_id"`
	AmountCents  int64  `json:"amount_cents"`
	Currency     string `json:"currency"`
	PaymentToken string `json:"payment_token"`
}

// PaymentCharged (billing → orchestrator): the money moved.
type PaymentCharged struct {
	OrderID     string `json:"order_id"`
	PaymentID   string `json:"payment_id"`
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
}

// PaymentDeclined (billing → orchestrator): a business "no"; nothing moved.
type PaymentDeclined struct {
	OrderID string `json:"order_id"`
	Reason  string `json:"reason"` // insufficient_funds, card_declined, invalid_token, order_cancelled
}

// RefundPayment (orchestrator → billing) refunds what was charged for the
// order, at most AmountCents; a refund of nothing succeeds and blocks a later
// charge.
type RefundPayment struct {
	OrderID     string `json:"order_id"`
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
}

// PaymentRefunded (billing → orchestrator): AmountCents is what went back to
// the customer, 0 when nothing had been charged.
type PaymentRefunded struct {
	OrderID     string `json:"order_id"`
	PaymentID   string `json:"payment_id,omitempty"`
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
}

// DeliveryItem is what fulfillment needs of an order line.
type DeliveryItem struct {
	ISBN     string `json:"isbn"`
	Quantity int    `json:"quantity"`
}

// ScheduleDelivery (orchestrator → fulfillment) reserves stock and plans a delivery.
type ScheduleDelivery struct {
	OrderID         string         `json:"order_id"`
	Items           []DeliveryItem `json:"items"`
	ShippingAddress Address        `json:"shipping_address"`
}

// DeliveryScheduled (fulfillment → orchestrator).
type DeliveryScheduled struct {
	OrderID      string `json:"order_id"`
	ShipmentID   string `json:"shipment_id"`
	TrackingID   string `json:"tracking_id"`
	ExpectedDate string `json:"expected_date"` // YYYY-MM-DD
}

// DeliveryFailed (fulfillment → orchestrator): a business "no".
type DeliveryFailed struct {
	OrderID string `json:"order_id"`
	Reason  string `json:"reason"` // out_of_stock, unknown_isbn, order_cancelled
}

// CancelDelivery (orchestrator → fulfillment) releases the order's stock.
type CancelDelivery struct {
	OrderID string `json:"order_id"`
}

// DeliveryCancelled (fulfillment → orchestrator); ShipmentID is empty when
// nothing had been scheduled.
type DeliveryCancelled struct {
	OrderID    string `json:"order_id"`
	ShipmentID string `json:"shipment_id,omitempty"`
}

// SendEmail (orchestrator → communication) sends one templated email.
type SendEmail struct {
	OrderID       string `json:"order_id"`
	Template      string `json:"template"`
	To            string `json:"to"`
	CustomerName  string `json:"customer_name"`
	Items         []Item `json:"items"`
	TotalCents    int64  `json:"total_cents"`
	Currency      string `json:"currency"`
	ExpectedDate  string `json:"expected_date,omitempty"`
	TrackingID    string `json:"tracking_id,omitempty"`
	Reason        string `json:"reason,omitempty"`
	RefundedCents int64  `json:"refunded_cents,omitempty"`
}

// EmailSent (communication → orchestrator).
type EmailSent struct {
	OrderID  string `json:"order_id"`
	Template string `json:"template"`
	EmailID  string `json:"email_id"`
}

// OrderStatusChanged (orchestrator → frontend) is published on every saga
// transition. Version grows by one per transition: keep the highest.
type OrderStatusChanged struct {
	OrderID       string    `json:"order_id"`
	State         string    `json:"state"`
	PreviousState string    `json:"previous_state"`
	Event         string    `json:"event"`
	Version       int64     `json:"version"`
	Step          string    `json:"step,omitempty"`
	FailureReason string    `json:"failure_reason,omitempty"`
	ExpectedDate  string    `json:"expected_date,omitempty"`
	TrackingID    string    `json:"tracking_id,omitempty"`
	TotalCents    int64     `json:"total_cents"`
	Currency      string    `json:"currency"`
	OccurredAt    time.Time `json:"occurred_at"`
}

// registry maps a type name to a constructor of its payload.
var registry = map[string]func() Message{}

func register(newPayload func() Message) {
	registry[newPayload().MessageType()] = newPayload
}

func init() {
	register(func() Message { return &StartPurchase{} })
	register(func() Message { return &CancelPurchase{} })
	register(func() Message { return &ChargePayment{} })
	register(func() Message { return &PaymentCharged{} })
	register(func() Message { return &PaymentDeclined{} })
	register(func() Message { return &RefundPayment{} })
	register(func() Message { return &PaymentRefunded{} })
	register(func() Message { return &ScheduleDelivery{} })
	register(func() Message { return &DeliveryScheduled{} })
	register(func() Message { return &DeliveryFailed{} })
	register(func() Message { return &CancelDelivery{} })
	register(func() Message { return &DeliveryCancelled{} })
	register(func() Message { return &SendEmail{} })
	register(func() Message { return &EmailSent{} })
	register(func() Message { return &OrderStatusChanged{} })
}

// Types lists every registered message type name.
func Types() []string {
	out := make([]string, 0, len(registry))
	for t := range registry {
		out = append(out, t)
	}
	return out
}

// field is one validation check: the JSON name and whether it holds.
type field struct {
	name string
	ok   bool
}

func f(name string, ok bool) field { return field{name, ok} }

// need returns an error naming every field that failed, or nil.
func need(fields ...field) error {
	var bad []string
	for _, fl := range fields {
		if !fl.ok {
			bad = append(bad, fl.name)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("missing or invalid: %s", strings.Join(bad, ", "))
}

func itemsOK(items []Item) bool {
	for _, it := range items {
		if it.ISBN == "" || it.Quantity < 1 || it.PriceCents < 0 {
			return false
		}
	}
	return len(items) > 0
}

func deliveryItemsOK(items []DeliveryItem) bool {
	for _, it := range items {
		if it.ISBN == "" || it.Quantity < 1 {
			return false
		}
	}
	return len(items) > 0
}

func currencyOK(c string) bool { return len(c) == 3 && strings.ToUpper(c) == c }
