package httpapi

import (
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// The order is the answer to every checkout, so it is written by hand:
// the same bytes as json.Encoder with SetIndent("", "  ") gives for an
// orderJSON (TestOrderJSONAsEncoder compares them), without reflection and
// without indenting in a second pass.

var orderBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// writeOrder answers with the order as writeJSON would.
func writeOrder(w http.ResponseWriter, status int, o orderJSON) {
	if !timeOK(o.CreatedAt) || !timeOK(o.UpdatedAt) ||
		(o.CancelRequestedAt != nil && !timeOK(*o.CancelRequestedAt)) {
		writeJSON(w, status, o) // what json makes of a time it cannot write
		return
	}
	bp := orderBufs.Get().(*[]byte)
	b := appendOrderJSON((*bp)[:0], o)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b) // the client went away; nothing to do
	if cap(b) <= 64<<10 {
		*bp = b
		orderBufs.Put(bp)
	}
}

// timeOK reports whether t's year has four digits, as time.Time's
// MarshalJSON requires.
func timeOK(t time.Time) bool { y := t.Year(); return y >= 0 && y <= 9999 }

func appendOrderJSON(b []byte, o orderJSON) []byte {
	b = append(b, "{\n  \"id\": "...)
	b = appendJSONString(b, o.ID)
	b = append(b, ",\n  \"status\": "...)
	b = appendJSONString(b, o.Status)
	b = append(b, ",\n  \"state\": "...)
	b = appendJSONString(b, o.State)
	if o.Items == nil {
		b = append(b, ",\n  \"items\": null"...)
	} else if len(o.Items) == 0 {
		b = append(b, ",\n  \"items\": []"...)
	} else {
		b = append(b, ",\n  \"items\": ["...)
		for i, it := range o.Items {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, "\n    {\n      \"isbn\": "...)
			b = appendJSONString(b, it.ISBN)
			if it.Title != "" {
				b = append(b, ",\n      \"title\": "...)
				b = appendJSONString(b, it.Title)
			}
			if it.Author != "" {
				b = append(b, ",\n      \"author\": "...)
				b = appendJSONString(b, it.Author)
			}
			b = append(b, ",\n      \"quantity\": "...)
			b = strconv.AppendInt(b, int64(it.Quantity), 10)
			b = append(b, ",\n      \"price_cents\": "...)
			b = strconv.AppendInt(b, it.PriceCents, 10)
			b = append(b, "\n    }"...)
		}
		b = append(b, "\n  ]"...)
	}
	b = append(b, ",\n  \"total_cents\": "...)
	b = strconv.AppendInt(b, o.TotalCents, 10)
	b = append(b, ",\n  \"currency\": "...)
	b = appendJSONString(b, o.Currency)
	b = append(b, ",\n  \"customer\": {\n    \"name\": "...)
	b = appendJSONString(b, o.Customer.Name)
	b = append(b, ",\n    \"email\": "...)
	b = appendJSONString(b, o.Customer.Email)
	a := o.ShippingAddress
	b = append(b, "\n  },\n  \"shipping_address\": {\n    \"line1\": "...)
	b = appendJSONString(b, a.Line1)
	if a.Line2 != "" {
		b = append(b, ",\n    \"line2\": "...)
		b = appendJSONString(b, a.Line2)
	}
	b = append(b, ",\n    \"city\": "...)
	b = appendJSONString(b, a.City)
	b = append(b, ",\n    \"postal_code\": "...)
	b = appendJSONString(b, a.PostalCode)
	b = append(b, ",\n    \"country\": "...)
	b = appendJSONString(b, a.Country)
	b = append(b, "\n  },\n  \"delivery\": {\n    \"expected_date\": "...)
	b = appendJSONString(b, o.Delivery.ExpectedDate)
	b = append(b, ",\n    \"tracking_id\": "...)
	b = appendJSONString(b, o.Delivery.TrackingID)
	b = append(b, "\n  },\n  \"failure_reason\": "...)
	b = appendJSONString(b, o.FailureReason)
	b = append(b, ",\n  \"can_cancel\": "...)
	b = strconv.AppendBool(b, o.CanCancel)
	if o.CancelRequestedAt != nil {
		b = append(b, ",\n  \"cancel_requested_at\": "...)
		b = appendJSONTime(b, *o.CancelRequestedAt)
	}
	b = append(b, ",\n  \"created_at\": "...)
	b = appendJSONTime(b, o.CreatedAt)
	b = append(b, ",\n  \"updated_at\": "...)
	b = appendJSONTime(b, o.UpdatedAt)
	return append(b, "\n}\n"...)
}

func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString is encoding/json's string encoding with HTML escaping,
// as its Encoder writes by default: <, > and & as \u003c..., control
// characters escaped, invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= ' ' && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
