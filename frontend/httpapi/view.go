package httpapi

import (
	"fmt"
	"strings"
	"time"

	"bookshop/frontend"
)

// Step states in the order page's timeline.
const (
	stepDone    = "done"
	stepCurrent = "current"
	stepFailed  = "failed"
	stepPending = "pending"
	stepSkipped = "skipped"
)

// step is one line of the order page's timeline.
type step struct {
	Key    string // stable across updates: payment, delivery, email, ...
	Title  string
	Detail string
	State  string
}

// liveView is the part of the order page that follows the saga: what the
// customer reads, in plain words, derived from the frontend's view alone.
type liveView struct {
	ID        string
	Status    string
	Tone      string // good, bad or wait
	Headline  string
	Summary   string
	Note      string // about the customer's cancel request, if any
	Steps     []step
	CanCancel bool
	Final     bool
}

func newLiveView(o frontend.Order) liveView {
	v := liveView{ID: o.ID, Status: o.Status, Tone: "wait", CanCancel: frontend.CanCancel(o),
		Final: frontend.IsFinal(o.Status)}
	switch {
	case o.State == frontend.StateSendingDeclineNotice || o.State == frontend.StateDeclined:
		declinedView(&v, o)
	case o.State == frontend.StateCancelled || compensating(o.State):
		cancelledView(&v, o)
	case o.State == frontend.StateStuck:
		v.Tone, v.Headline = "bad", "Taking longer than expected"
		v.Summary = "One step of your order needs a hand from our team. Nothing is lost: " +
			"we will finish or cancel it and email you."
		v.Steps = []step{received(), {"attention", "Our team", "Looking into your order.", stepCurrent}}
	case o.State == frontend.StateResolved:
		resolvedView(&v, o)
	default:
		happyView(&v, o)
	}
	v.Note = cancelNote(o)
	return v
}

func received() step {
	return step{"received", "Order received", "We have your order; it is safe with us.", stepDone}
}

// happyView: accepted, charging, scheduling, confirming, completed, or a
// step added to the saga later (shown as in progress).
func happyView(v *liveView, o frontend.Order) {
	total, email := money(o.TotalCents, o.Currency), orDefault(o.Customer.Email, "you")
	progress := map[string]int{"": 0, frontend.StateChargingPayment: 1, frontend.StateSchedulingDelivery: 2,
		frontend.StateSendingConfirmation: 3, frontend.StateCompleted: 4}
	p, known := progress[o.State]
	steps := []step{
		{"payment", "Payment", "We will charge " + total + " to your card.", ""},
		{"delivery", "Delivery", "We will book the delivery once you have paid.", ""},
		{"email", "Confirmation email", "We will email a confirmation to " + email + ".", ""},
	}
	current := []string{"Charging " + total + " to your card…", "Reserving your books and booking a delivery…",
		"Emailing your confirmation to " + email + "…"}
	done := []string{total + " paid.", deliveryWords(o), "Confirmation sent to " + email + "."}
	for i := range steps {
		switch {
		case !known:
			steps[i].State = stepPending
		case i+1 < p:
			steps[i].State, steps[i].Detail = stepDone, done[i]
		case i+1 == p:
			steps[i].State, steps[i].Detail = stepCurrent, current[i]
		default:
			steps[i].State = stepPending
		}
	}
	v.Steps = append([]step{received()}, steps...)
	headlines := []string{"Order received", "Taking payment", "Booking your delivery", "Delivery booked", "Order complete"}
	summaries := []string{
		"We have your order and will start on it in a moment. You can close this page: nothing will be lost.",
		"We are charging your card.", "Your payment went through; we are booking the delivery.",
		deliveryWords(o) + " We are emailing your confirmation.",
		deliveryWords(o) + " Your confirmation is in your inbox. Thank you!",
	}
	if !known {
		v.Headline, v.Summary = "Processing your order", "Your order is going through our checks ("+words(o.State)+")."
		v.Steps = append(v.Steps[:1], step{"progress", "In progress", capitalise(words(o.State)) + "…", stepCurrent})
		return
	}
	v.Headline, v.Summary = headlines[p], summaries[p]
	if p == 4 {
		v.Tone = "good"
	}
}

func declinedView(v *liveView, o frontend.Order) {
	final := o.State == frontend.StateDeclined
	email := orDefault(o.Customer.Email, "you")
	v.Tone, v.Headline = "bad", "Payment declined"
	v.Summary = reasonWords(o.FailureReason) + " Nothing was charged. You can order again with another card."
	mail := step{"email", "Email", "Emailing " + email + " about the declined payment…", stepCurrent}
	if final {
		mail.State, mail.Detail = stepDone, "We emailed "+email+" about it."
	}
	v.Steps = []step{received(),
		{"payment", "Payment declined", reasonWords(o.FailureReason) + " Nothing was charged.", stepFailed},
		{"delivery", "Delivery", "Not booked, as the payment did not go through.", stepSkipped},
		mail}
}

func cancelledView(v *liveView, o frontend.Order) {
	v.Tone = "bad"
	order := []string{frontend.StateCancellingDelivery, frontend.StateRefundingPayment,
		frontend.StateSendingCancellation, frontend.StateCancelled}
	at := indexOf(order, o.State)
	charged := o.FailureReason == "out_of_stock" || o.FailureReason == "unknown_isbn"
	refunded := "Anything charged has been refunded to your card."
	if charged {
		refunded = "The " + money(o.TotalCents, o.Currency) + " you paid has been refunded to your card."
	}
	email := orDefault(o.Customer.Email, "you")
	steps := []step{
		{"delivery", "Delivery", "Releasing the books we reserved…", ""},
		{"refund", "Refund", "Refunding any payment…", ""},
		{"email", "Email", "Emailing " + email + " about the cancellation…", ""},
	}
	done := []string{"Nothing will be delivered.", refunded, "We emailed " + email + " about it."}
	for i := range steps {
		switch {
		case i < at:
			steps[i].State, steps[i].Detail = stepDone, done[i]
		case i == at:
			steps[i].State = stepCurrent
		default:
			steps[i].State = stepPending
		}
	}
	v.Steps = append([]step{received(), {"cancel", "Cancelled", reasonWords(o.FailureReason), stepFailed}}, steps...)
	v.Headline, v.Summary = "Cancelling your order", reasonWords(o.FailureReason)+" We are undoing everything."
	if o.State == frontend.StateCancelled {
		v.Headline = "Order cancelled"
		v.Summary = reasonWords(o.FailureReason) + " " + refunded + " It can take a few days to show on your statement."
	}
}

func resolvedView(v *liveView, o frontend.Order) {
	v.Steps = []step{received(), {"attention", "Our team", "Closed by our team.", stepDone}}
	if o.Status == frontend.StatusCompleted {
		v.Tone, v.Headline = "good", "Order complete"
		v.Summary = "Our team completed your order by hand. " + deliveryWords(o)
		return
	}
	v.Tone, v.Headline = "bad", "Order closed"
	v.Summary = "Our team closed your order by hand. " + reasonWords(o.FailureReason) +
		" If anything was charged, it is refunded."
}

// cancelNote tells the customer what became of their cancel request.
func cancelNote(o frontend.Order) string {
	if o.CancelRequestedAt.IsZero() {
		return ""
	}
	switch o.State {
	case "", frontend.StateChargingPayment, frontend.StateSchedulingDelivery:
		return "You asked us to cancel this order; we are stopping it now."
	case frontend.StateSendingConfirmation, frontend.StateCompleted:
		return "Your cancel request came too late: the delivery had already been confirmed."
	}
	return ""
}

func compensating(state string) bool {
	return state == frontend.StateCancellingDelivery || state == frontend.StateRefundingPayment ||
		state == frontend.StateSendingCancellation
}

// reasonWords explains a failure reason to the customer, in one sentence.
func reasonWords(reason string) string {
	switch {
	case reason == "insufficient_funds":
		return "Your bank declined the card: there are insufficient funds on the account."
	case reason == "card_declined":
		return "Your bank declined the card."
	case reason == "invalid_token":
		return "We could not read the card details."
	case reason == "out_of_stock":
		return "We do not have enough copies of a book in your order."
	case reason == "unknown_isbn":
		return "A book in your order is no longer sold."
	case reason == "order_cancelled":
		return "The order was cancelled before the payment went through."
	case reason == "cancelled_by_customer":
		return "You asked us to cancel the order."
	case strings.HasPrefix(reason, "cancelled_by_"):
		return "Our team cancelled the order."
	case strings.HasSuffix(reason, "_timed_out"):
		return fmt.Sprintf("A service we rely on did not answer in time (%s), so we stopped the order.",
			words(strings.TrimSuffix(reason, "_timed_out")))
	case reason == "":
		return "The order was stopped."
	default:
		return "Something went wrong (" + words(reason) + ")."
	}
}

func deliveryWords(o frontend.Order) string {
	s := "Your books arrive by " + longDate(o.ExpectedDate) + "."
	if o.ExpectedDate == "" {
		s = "Your delivery is booked."
	}
	if o.TrackingID != "" {
		s += " Tracking number " + o.TrackingID + "."
	}
	return s
}

// longDate writes 2026-11-30 as Monday 30 November 2026.
func longDate(ymd string) string {
	t, err := time.Parse(time.DateOnly, ymd)
	if err != nil {
		return ymd
	}
	return t.Format("Monday 2 January 2006")
}

func words(s string) string { return strings.ReplaceAll(s, "_", " ") }

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func orDefault(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// Label is the step's state in words, for screen readers.
func (s step) Label() string {
	return map[string]string{stepDone: "done", stepCurrent: "in progress", stepFailed: "did not go through",
		stepPending: "not yet", stepSkipped: "skipped"}[s.State]
}
