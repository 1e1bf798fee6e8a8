package frontend

import (
	"testing"
	"time"
)

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

func TestCanCancelAndIsFinal(t *testing.T) {
	asked := Order{CancelRequestedAt: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	tests := []struct {
		o    Order
		want bool
	}{
		{Order{}, true},
		{Order{State: StateChargingPayment}, true},
		{Order{State: StateSchedulingDelivery}, true},
		{Order{State: StateSendingConfirmation}, false},
		{Order{State: StateCompleted}, false},
		{Order{State: StateSendingDeclineNotice}, false},
		{Order{State: StateCancellingDelivery}, false},
		{Order{State: StateStuck}, false},
		{Order{State: "checking_fraud"}, false},
		{asked, false}, // asked already
	}
	for _, tt := range tests {
		if got := CanCancel(tt.o); got != tt.want {
			t.Errorf("CanCancel(state %q, asked %v) = %v, want %v", tt.o.State, !tt.o.CancelRequestedAt.IsZero(), got, tt.want)
		}
	}
	for status, want := range map[string]bool{StatusAccepted: false, StatusProcessing: false, StatusCompleted: true,
		StatusPaymentDeclined: true, StatusCancelled: true} {
		if got := IsFinal(status); got != want {
			t.Errorf("IsFinal(%q) = %v, want %v", status, got, want)
		}
	}
}
