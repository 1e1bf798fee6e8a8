package frontend

import "fmt"

// Saga states, as the orchestrator names them (contract "Saga states").
const (
	StateChargingPayment      = "charging_payment"
	StateSchedulingDelivery   = "scheduling_delivery"
	StateSendingConfirmation  = "sending_confirmation"
	StateCompleted            = "completed"
	StateSendingDeclineNotice = "sending_decline_notice"
	StateDeclined             = "declined"
	StateCancellingDelivery   = "cancelling_delivery"
	StateRefundingPayment     = "refunding_payment"
	StateSendingCancellation  = "sending_cancellation"
	StateCancelled            = "cancelled"
	StateStuck                = "stuck"
	StateResolved             = "resolved"
)

// Customer statuses (contract "Frontend API").
const (
	// StatusAccepted is an order the frontend keeps but the saga has not
	// reported on yet.
	StatusAccepted        = "accepted"
	StatusProcessing      = "processing"
	StatusCompleted       = "completed"
	StatusPaymentDeclined = "payment_declined"
	StatusCancelled       = "cancelled"
)

// CustomerStatus maps a saga state to the customer's word for it.
//
// An operator's `resolved` ends a saga by hand, and the saga does not say
// whether the customer got the books. We read failure_reason: an order that
// failed somewhere on the way (a decline, a failed delivery, exhausted
// retries) carries one and is shown `cancelled`; one without is shown
// `completed`. Every state not named here, including one added to the saga
// later (say, a fraud check), is still under way: `processing`.
func CustomerStatus(state, failureReason string) string {
	switch state {
	case "":
		return StatusAccepted
	case StateCompleted:
		return StatusCompleted
	case StateDeclined:
		return StatusPaymentDeclined
	case StateCancelled:
		return StatusCancelled
	case StateResolved:
		if failureReason != "" {
			return StatusCancelled
		}
		return StatusCompleted
	default:
		return StatusProcessing
	}
}

// IsFinal reports whether the customer status will not change any more.
func IsFinal(status string) bool {
	return status == StatusCompleted || status == StatusPaymentDeclined || status == StatusCancelled
}

// compensating are the states of a saga undoing an order on its way to
// `cancelled`.
var compensating = map[string]bool{
	StateCancellingDelivery: true, StateRefundingPayment: true, StateSendingCancellation: true,
}

// CanCancel reports whether a customer's cancel request would still be
// acted on, as far as the frontend's view knows: before the saga started,
// while charging or while scheduling the delivery. Once the delivery is
// confirmed (sending_confirmation and after) it is too late.
func CanCancel(o Order) bool {
	if !o.CancelRequestedAt.IsZero() {
		return false // asked already
	}
	switch o.State {
	case "", StateChargingPayment, StateSchedulingDelivery:
		return true
	}
	return false
}

// cancelRefusal says why an order cannot be cancelled any more, or "" if it
// can (or the customer's earlier request is already being carried out).
func cancelRefusal(o Order) string {
	requested := !o.CancelRequestedAt.IsZero()
	switch {
	case o.State == "" || o.State == StateChargingPayment || o.State == StateSchedulingDelivery:
		return ""
	case requested && (compensating[o.State] || o.State == StateCancelled):
		return ""
	case o.State == StateSendingConfirmation || o.State == StateCompleted:
		return "The delivery is confirmed, so the order can no longer be cancelled."
	case o.State == StateSendingDeclineNotice || o.State == StateDeclined:
		return "The payment was declined, so there is nothing to cancel: nothing was charged."
	case compensating[o.State]:
		return "The order is already being cancelled."
	case o.State == StateCancelled:
		return "The order is already cancelled."
	case o.State == StateStuck:
		return "The order is waiting for our team, who will finish or cancel it; please contact us."
	case o.State == StateResolved:
		return "Our team has closed the order."
	default:
		return fmt.Sprintf("The order is at a step (%s) where it can no longer be cancelled.", o.State)
	}
}
