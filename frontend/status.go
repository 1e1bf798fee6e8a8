package frontend

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
