package communication

import (
	"strconv"
	"strings"
)

// FormatMoney formats an amount in minor units of an ISO 4217 currency with
// integer arithmetic only: "€1,234.50" for the currencies with a familiar
// symbol, "1,234.50 CHF" for the others, "¥1,234" for a currency without
// minor units.
func FormatMoney(minor int64, currency string) string {
	digits := minorDigits(currency)
	// Work on the magnitude as uint64 so that the most negative int64 works too.
	magnitude := uint64(minor)
	sign := ""
	if minor < 0 {
		magnitude = -magnitude
		sign = "-"
	}
	unit := uint64(1)
	for range digits {
		unit *= 10
	}
	number := groupThousands(strconv.FormatUint(magnitude/unit, 10))
	if digits > 0 {
		frac := strconv.FormatUint(magnitude%unit, 10)
		number += "." + strings.Repeat("0", digits-len(frac)) + frac
	}
	if symbol := currencySymbol(currency); symbol != "" {
		return sign + symbol + number
	}
	return sign + number + " " + currency
}

// groupThousands puts a comma between each group of three digits.
func groupThousands(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	head := len(digits) % 3
	if head > 0 {
		b.WriteString(digits[:head])
	}
	for i := head; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// minorDigits is the number of minor-unit digits of an ISO 4217 currency.
func minorDigits(currency string) int {
	switch currency {
	case "JPY", "KRW", "ISK", "CLP", "VND", "PYG", "UGX", "XAF", "XOF":
		return 0
	case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND":
		return 3
	}
	return 2
}

func currencySymbol(currency string) string {
	switch currency {
	case "EUR":
		return "€"
	case "GBP":
		return "£"
	case "USD":
		return "$"
	case "JPY":
		return "¥"
	}
	return ""
}
