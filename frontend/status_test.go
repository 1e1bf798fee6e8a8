package frontend

import "testing"

func TestCustomerStatus(t *testing.T) {
	tests := []struct {
		state, failureReason string
		want                 string
	}{
		{"", "", StatusAccepted},
		{StateChargingPayment, "", StatusProcessing},
		{StateSchedulingDelivery, "", StatusProcessing},
		{StateSendingConfirmation, "", StatusProcessing},
		{StateCancellingDelivery, "out_of_stock", StatusProcessing},
		{StateRefundingPayment, "out_of_stock", StatusProcessing},
		{StateSendingCancellation, "cancelled_by_customer", StatusProcessing},
		{StateSendingDeclineNotice, "card_declined", StatusProcessing},
		{StateStuck, "", StatusProcessing},
		{StateStuck, "retries_exhausted", StatusProcessing},
		{StateCompleted, "", StatusCompleted},
		{StateDeclined, "insufficient_funds", StatusPaymentDeclined},
		{StateDeclined, "", StatusPaymentDeclined},
		{StateCancelled, "out_of_stock", StatusCancelled},
		{StateCancelled, "", StatusCancelled},
		{StateResolved, "", StatusCompleted},
		{StateResolved, "retries_exhausted", StatusCancelled},
		{"checking_fraud", "", StatusProcessing}, // a step added to the saga later
	}
	for _, tt := range tests {
		if got := CustomerStatus(tt.state, tt.failureReason); got != tt.want {
			t.Errorf("CustomerStatus(%q, %q) = %q, want %q", tt.state, tt.failureReason, got, tt.want)
		}
	}
}
