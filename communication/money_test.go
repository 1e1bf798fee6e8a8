package communication_test

import (
	"math"
	"testing"

	"bookshop/communication"
)

func TestFormatMoney(t *testing.T) {
	tests := []struct {
		cents    int64
		currency string
		want     string
	}{
		{9500, "EUR", "€95.00"},
		{0, "EUR", "€0.00"},
		{5, "EUR", "€0.05"},
		{-1999, "EUR", "-€19.99"},
		{123456789, "GBP", "£1,234,567.89"},
		{100000, "USD", "$1,000.00"},
		{9500, "CHF", "95.00 CHF"},
		{1500, "JPY", "¥1,500"},
		{1234567, "KWD", "1,234.567 KWD"},
		{math.MaxInt64, "EUR", "€92,233,720,368,547,758.07"},
		{math.MinInt64, "EUR", "-€92,233,720,368,547,758.08"},
	}
	for _, tt := range tests {
		if got := communication.FormatMoney(tt.cents, tt.currency); got != tt.want {
			t.Errorf("FormatMoney(%d, %s) = %q, want %q", tt.cents, tt.currency, got, tt.want)
		}
	}
}
