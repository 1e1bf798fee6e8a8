package orchestrator

import "bookshop/pkg/msg"

// The purchase saga, read top to bottom: its states, the command each step
// sends, and every transition — happy path first, then compensations. The
// engine, the scanner, the admin API and the diagram are all driven by this
// table; nothing else names a state.

// States of the purchase saga (the contract's names).
const (
	ChargingPayment      = "charging_payment"
	SchedulingDelivery   = "scheduling_delivery"
	SendingConfirmation  = "sending_confirmation"
	Completed            = "completed"
	SendingDeclineNotice = "sending_decline_notice"
	Declined             = "declined"
	CancellingDelivery   = "cancelling_delivery"
	RefundingPayment     = "refunding_payment"
	SendingCancellation  = "sending_cancellation"
	Cancelled            = "cancelled"
	Stuck                = "stuck"
	Resolved             = "resolved"
)

// Events that move the saga. Each reply event belongs to exactly one step, so
// a late reply for the step a stuck saga remembers is recognised by its name.
const (
	EvCharged           = "charged"
	EvPaymentDeclined   = "payment_declined"
	EvScheduled         = "scheduled"
	EvDeliveryFailed    = "delivery_failed"
	EvConfirmationSent  = "confirmation_sent"
	EvDeclineNoticeSent = "decline_notice_sent"
	EvDeliveryCancelled = "delivery_cancelled"
	EvRefunded          = "refunded"
	EvCancellationSent  = "cancellation_sent"
	EvCancel            = "cancel"  // the customer, before the delivery is confirmed
	EvGaveUp            = "gave_up" // the step's retries are exhausted

	// An operator's actions (admin API).
	EvRetry          = "retry"           // send the step's command again now
	EvOperatorCancel = "operator_cancel" // compensate whatever may have happened
	EvResolve        = "resolve"         // end the saga by hand, sending nothing
)

// DefinitionVersion is stored with every saga it starts; a change to the
// table that in-flight sagas cannot follow must bump it and say how older
// sagas finish.
const DefinitionVersion = 1

// Step is a state that sends a command and waits for its reply.
type Step struct {
	State string
	Send  func(d *Data) (queue string, m msg.Message)
}

// Transition is one row: in From, Event leads to To.
type Transition struct {
	From, Event, To string
}

// Purchase is the purchase saga.
var Purchase = Definition{
	Initial:  ChargingPayment,
	Terminal: []string{Completed, Declined, Cancelled, Resolved},
	Stuck:    Stuck,
	Steps: []Step{
		{ChargingPayment, chargePayment},
		{SchedulingDelivery, scheduleDelivery},
		{SendingConfirmation, email(msg.TemplateOrderConfirmed)},
		{SendingDeclineNotice, email(msg.TemplatePaymentDeclined)},
		{CancellingDelivery, cancelDelivery},
		{RefundingPayment, refundPayment},
		{SendingCancellation, email(msg.TemplateOrderCancelled)},
	},
	Transitions: []Transition{
		// The happy path.
		{ChargingPayment, EvCharged, SchedulingDelivery},
		{SchedulingDelivery, EvScheduled, SendingConfirmation},
		{SendingConfirmation, EvConfirmationSent, Completed},

		// The card is declined: tell the customer.
		{ChargingPayment, EvPaymentDeclined, SendingDeclineNotice},
		{SendingDeclineNotice, EvDeclineNoticeSent, Declined},

		// No delivery possible (out of stock): refund, then tell the customer.
		{SchedulingDelivery, EvDeliveryFailed, RefundingPayment},
		{RefundingPayment, EvRefunded, SendingCancellation},
		{SendingCancellation, EvCancellationSent, Cancelled},

		// Cancel before confirmation, or retries exhausted: undo whatever may
		// have happened, since an unanswered command may still be queued. A
		// charge was asked for in both steps; a delivery only in the second.
		{ChargingPayment, EvCancel, RefundingPayment},
		{ChargingPayment, EvGaveUp, RefundingPayment},
		{SchedulingDelivery, EvCancel, CancellingDelivery},
		{SchedulingDelivery, EvGaveUp, CancellingDelivery},
		{CancellingDelivery, EvDeliveryCancelled, RefundingPayment},

		// Nothing left to compensate: an operator takes over. A late reply
		// for the remembered step resumes the saga (rows derived by the
		// engine from the ones above).
		{SendingConfirmation, EvGaveUp, Stuck},
		{SendingDeclineNotice, EvGaveUp, Stuck},
		{CancellingDelivery, EvGaveUp, Stuck},
		{RefundingPayment, EvGaveUp, Stuck},
		{SendingCancellation, EvGaveUp, Stuck},

		// An operator steps in. Retry sends the step's command again now
		// (same command id, attempts start over). Cancel compensates like a
		// customer's, and also once the delivery is scheduled; a saga
		// already compensating carries on from its step. Resolve ends any
		// unfinished saga for a case fixed by hand. A stuck saga takes each
		// row of the step it remembers (derived by Compile).
		{EveryStep, EvRetry, Same},
		{ChargingPayment, EvOperatorCancel, RefundingPayment},
		{SchedulingDelivery, EvOperatorCancel, CancellingDelivery},
		{SendingConfirmation, EvOperatorCancel, CancellingDelivery},
		{CancellingDelivery, EvOperatorCancel, Same},
		{RefundingPayment, EvOperatorCancel, Same},
		{SendingCancellation, EvOperatorCancel, Same},
		{Unfinished, EvResolve, Resolved},
	},
	// Why an operator's action is refused where no row allows it (besides
	// a finished saga, which refuses everything).
	Refusals: []Refusal{
		{SendingDeclineNotice, EvOperatorCancel, "the payment was declined: nothing was charged or " +
			"scheduled, so there is nothing to compensate; retry the decline notice or resolve the order"},
	},
}

// The commands each step sends, built from the saga's data alone so that a
// resend after a timeout is the same command.

func chargePayment(d *Data) (string, msg.Message) {
	return msg.Billing, &msg.ChargePayment{OrderID: d.OrderID, AmountCents: d.TotalCents,
		Currency: d.Currency, PaymentToken: d.PaymentToken}
}

func scheduleDelivery(d *Data) (string, msg.Message) {
	items := make([]msg.DeliveryItem, len(d.Items))
	for i, it := range d.Items {
		items[i] = msg.DeliveryItem{ISBN: it.ISBN, Quantity: it.Quantity}
	}
	return msg.Fulfillment, &msg.ScheduleDelivery{OrderID: d.OrderID, Items: items, ShippingAddress: d.ShippingAddress}
}

func cancelDelivery(d *Data) (string, msg.Message) {
	return msg.Fulfillment, &msg.CancelDelivery{OrderID: d.OrderID}
}

func refundPayment(d *Data) (string, msg.Message) {
	return msg.Billing, &msg.RefundPayment{OrderID: d.OrderID, AmountCents: d.TotalCents, Currency: d.Currency}
}

func email(template string) func(d *Data) (string, msg.Message) {
	return func(d *Data) (string, msg.Message) {
		return msg.Communication, &msg.SendEmail{OrderID: d.OrderID, Template: template,
			To: d.Customer.Email, CustomerName: d.Customer.Name, Items: d.Items,
			TotalCents: d.TotalCents, Currency: d.Currency, ExpectedDate: d.ExpectedDate,
			TrackingID: d.TrackingID, Reason: d.FailureReason, RefundedCents: d.RefundedCents}
	}
}
