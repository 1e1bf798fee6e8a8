package frontend

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"bookshop/pkg/catalog"
)

// Checkout limits.
const (
	MaxLines    = 50
	MaxQuantity = 99
)

// FieldError names one bad field of a request, by its JSON path
// (`items[0].quantity`), and says what is wrong in words for the customer.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
	// Unknown marks a well-formed value that names nothing we have (an
	// ISBN not in the catalog): the request is understood but cannot be
	// served, a 422 rather than a 400.
	Unknown bool `json:"-"`
}

// ValidationError lists every bad field of a checkout.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	names := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		names[i] = f.Field
	}
	return "invalid checkout: " + strings.Join(names, ", ")
}

// OnlyUnknown reports whether every problem is a value we do not have (say,
// an ISBN not in the catalog) rather than malformed input.
func (e *ValidationError) OnlyUnknown() bool {
	for _, f := range e.Fields {
		if !f.Unknown {
			return false
		}
	}
	return len(e.Fields) > 0
}

func checkoutResult(errs []FieldError) string {
	if (&ValidationError{Fields: errs}).OnlyUnknown() {
		return "unknown_isbn"
	}
	return "invalid"
}

// Validate checks every field of req against the rules and the catalog and
// returns the request tidied (spaces trimmed, ISBN hyphens dropped, country
// upper case) with every problem found, in field order.
func (s *Shop) Validate(req CheckoutRequest) (CheckoutRequest, []FieldError) {
	v := &validator{}
	req.Customer.Name = v.text("customer.name", req.Customer.Name, 200, true)
	req.Customer.Email = v.email("customer.email", req.Customer.Email)
	req.Items = v.items(s.catalog, req.Items)
	a := &req.ShippingAddress
	a.Line1 = v.text("shipping_address.line1", a.Line1, 200, true)
	a.Line2 = v.text("shipping_address.line2", a.Line2, 200, false)
	a.City = v.text("shipping_address.city", a.City, 100, true)
	a.PostalCode = v.text("shipping_address.postal_code", a.PostalCode, 20, true)
	a.Country = v.country("shipping_address.country", a.Country)
	req.PaymentToken = v.text("payment.token", req.PaymentToken, 100, true)
	return req, v.errs
}

type validator struct{ errs []FieldError }

func (v *validator) add(field, format string, args ...any) {
	v.errs = append(v.errs, FieldError{Field: field, Detail: fmt.Sprintf(format, args...)})
}

// text trims s and checks it is present (if required), not too long and
// free of control characters.
func (v *validator) text(field, s string, max int, required bool) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		v.add(field, "is required")
	case utf8.RuneCountInString(s) > max:
		v.add(field, "must be at most %d characters", max)
	case strings.ContainsFunc(s, unicode.IsControl) || !utf8.ValidString(s):
		v.add(field, "must be plain text, without control characters")
	}
	return s
}

// email accepts a bare address (ada@example.com), not a name with it.
func (v *validator) email(field, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		v.add(field, "is required")
		return s
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || len(s) > 254 ||
		!strings.Contains(s[strings.LastIndex(s, "@")+1:], ".") {
		v.add(field, "must be an email address like ada@example.com")
	}
	return s
}

func (v *validator) items(cat *catalog.Catalog, items []LineRequest) []LineRequest {
	switch {
	case len(items) == 0:
		v.add("items", "must list at least one book")
		return items
	case len(items) > MaxLines:
		v.add("items", "must list at most %d books (it lists %d)", MaxLines, len(items))
		return items
	}
	seen := map[string]int{}
	currencies := map[string]bool{}
	out := make([]LineRequest, len(items))
	for i, it := range items {
		field := fmt.Sprintf("items[%d]", i)
		it.ISBN = strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(it.ISBN))
		b, known := cat.Book(it.ISBN)
		switch first, dup := seen[it.ISBN]; {
		case it.ISBN == "":
			v.add(field+".isbn", "is required")
		case !catalog.ValidISBN13(it.ISBN):
			v.add(field+".isbn", "must be an ISBN-13: 13 digits with a valid check digit")
		case !known:
			v.errs = append(v.errs, FieldError{Field: field + ".isbn", Unknown: true,
				Detail: fmt.Sprintf("%s is not a book we sell", it.ISBN)})
		case dup:
			v.add(field+".isbn", "repeats items[%d]; order more copies with its quantity instead", first)
		default:
			seen[it.ISBN] = i
			currencies[b.Currency] = true
		}
		if it.Quantity < 1 || it.Quantity > MaxQuantity {
			v.add(field+".quantity", "must be a whole number from 1 to %d", MaxQuantity)
		}
		out[i] = it
	}
	if len(currencies) > 1 {
		v.add("items", "mixes books priced in different currencies; order them separately")
	}
	return out
}

func (v *validator) country(field, s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	switch {
	case s == "":
		v.add(field, "is required")
	case !IsCountryCode(s):
		v.add(field, "must be an ISO 3166-1 alpha-2 country code, like GB or FR")
	}
	return s
}
