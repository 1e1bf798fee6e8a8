package communication

import (
	"strings"
	"time"

	"bookshop/pkg/msg"
)

// view is what the templates see: every value already formatted, so that
// the templates hold wording and layout only.
type view struct {
	Subject       string
	CustomerName  string
	OrderID       string
	Lines         []line
	Total         string
	ExpectedDate  string
	TrackingID    string
	DeclineReason string
	CancelReason  string
	Refund        string // empty when nothing was refunded
}

// line is one order line.
type line struct {
	Title       string
	Author      string
	Description string // "Title by Author"
	Quantity    int
	Amount      string // unit price × quantity
}

func newView(m *msg.SendEmail) view {
	v := view{
		CustomerName: strings.TrimSpace(m.CustomerName),
		OrderID:      m.OrderID,
		Total:        FormatMoney(m.TotalCents, m.Currency),
		ExpectedDate: formatDate(m.ExpectedDate),
		TrackingID:   m.TrackingID,
	}
	for _, it := range m.Items {
		v.Lines = append(v.Lines, newLine(it, m.Currency))
	}
	switch m.Template {
	case msg.TemplatePaymentDeclined:
		v.DeclineReason = declineReason(m.Reason)
	case msg.TemplateOrderCancelled:
		v.CancelReason = cancelReason(m.Reason)
		if m.RefundedCents > 0 {
			v.Refund = FormatMoney(m.RefundedCents, m.Currency)
		}
	}
	return v
}

func newLine(it msg.Item, currency string) line {
	l := line{Title: it.Title, Author: it.Author, Quantity: it.Quantity,
		Amount: FormatMoney(it.PriceCents*int64(it.Quantity), currency)}
	if l.Title == "" {
		l.Title = "ISBN " + it.ISBN
	}
	l.Description = l.Title
	if l.Author != "" {
		l.Description += " by " + l.Author
	}
	return l
}

// formatDate writes a YYYY-MM-DD date the way a customer reads it; anything
// else is shown as it came.
func formatDate(s string) string {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return d.Format("Monday, 2 January 2006")
}

// declineReason says in plain words why billing declined the payment.
func declineReason(code string) string {
	switch code {
	case "insufficient_funds":
		return "your card has insufficient funds"
	case "card_declined":
		return "your card was declined by your bank"
	case "invalid_token":
		return "the card details could not be used"
	case "order_cancelled":
		return "the order was cancelled before the payment was taken"
	}
	return "the payment could not be completed"
}

// cancelReason says in plain words why the order was cancelled; a reason it
// does not know (say, a customer's own words) is shown as it came.
func cancelReason(code string) string {
	switch code {
	case "":
		return ""
	case "out_of_stock":
		return "some of the books are out of stock"
	case "unknown_isbn":
		return "a book in it is no longer in our catalog"
	}
	return strings.ReplaceAll(code, "_", " ")
}
