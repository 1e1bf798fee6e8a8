package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"bookshop/frontend"
	"bookshop/pkg/msg"
)

// checkoutJSON is the body of POST /api/orders. Its leaves never fail to
// decode: a value of the wrong type is remembered, so that the answer can
// name every such field rather than the first. Unknown fields are ignored.
type checkoutJSON struct {
	Customer struct {
		Name  jsonString `json:"name"`
		Email jsonString `json:"email"`
	} `json:"customer"`
	Items   []itemJSON `json:"items"`
	Payment struct {
		Token jsonString `json:"token"`
	} `json:"payment"`
	ShippingAddress struct {
		Line1      jsonString `json:"line1"`
		Line2      jsonString `json:"line2"`
		City       jsonString `json:"city"`
		PostalCode jsonString `json:"postal_code"`
		Country    jsonString `json:"country"`
	} `json:"shipping_address"`
}

type itemJSON struct {
	ISBN     jsonString `json:"isbn"`
	Quantity jsonInt    `json:"quantity"`
}

// jsonString is a JSON string; null or absent is "".
type jsonString struct {
	s   string
	bad bool
}

func (j *jsonString) UnmarshalJSON(b []byte) error {
	// b is one valid JSON value: a string without escapes, in valid UTF-8,
	// is its bytes between the quotes (what json.Unmarshal would return,
	// without scanning b again).
	if len(b) >= 2 && b[0] == '"' {
		if s := b[1 : len(b)-1]; plainString(s) {
			j.s = string(s)
			return nil
		}
	}
	if string(b) != "null" && json.Unmarshal(b, &j.s) != nil {
		j.bad = true
	}
	return nil
}

// plainString reports whether s, the inside of a valid JSON string, has no
// escape and is valid UTF-8.
func plainString(s []byte) bool {
	ascii := true
	for _, c := range s {
		if c == '\\' {
			return false
		}
		ascii = ascii && c < utf8.RuneSelf
	}
	return ascii || utf8.Valid(s)
}

// jsonInt is a JSON number without fraction or exponent; null or absent is 0.
type jsonInt struct {
	n   int
	bad bool
}

func (j *jsonInt) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 32)
	j.n, j.bad = int(n), err != nil
	return nil
}

// decodeCheckout reads a checkout body. It fails only on a body that is
// not JSON; a value of the wrong type is a field error.
func decodeCheckout(body []byte) (frontend.CheckoutRequest, []frontend.FieldError, error) {
	var c checkoutJSON
	var errs []frontend.FieldError
	var typeErr *json.UnmarshalTypeError
	// Unmarshal checks the whole body is valid JSON before it decodes any
	// of it; the leaves never fail, so a type error is all it reports on a
	// valid body.
	if err := json.Unmarshal(body, &c); errors.As(err, &typeErr) {
		errs = append(errs, wrongType(typeErr))
	} else if err != nil {
		return frontend.CheckoutRequest{}, nil, errors.New("it is not valid JSON")
	}
	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		errs = append(errs, frontend.FieldError{Field: "body", Detail: "must be a JSON object, not null"})
	}
	return c.request(), append(errs, c.typeErrors()...), nil
}

func (c checkoutJSON) request() frontend.CheckoutRequest {
	a := c.ShippingAddress
	req := frontend.CheckoutRequest{
		Customer:     msg.Customer{Name: c.Customer.Name.s, Email: c.Customer.Email.s},
		PaymentToken: c.Payment.Token.s,
		ShippingAddress: msg.Address{Line1: a.Line1.s, Line2: a.Line2.s, City: a.City.s,
			PostalCode: a.PostalCode.s, Country: a.Country.s},
	}
	for _, it := range c.Items {
		req.Items = append(req.Items, frontend.LineRequest{ISBN: it.ISBN.s, Quantity: it.Quantity.n})
	}
	return req
}

// typeErrors names every leaf that held the wrong type of JSON value.
func (c checkoutJSON) typeErrors() []frontend.FieldError {
	a := c.ShippingAddress
	strs := []struct {
		field string
		v     jsonString
	}{
		{"customer.name", c.Customer.Name}, {"customer.email", c.Customer.Email},
		{"shipping_address.line1", a.Line1}, {"shipping_address.line2", a.Line2},
		{"shipping_address.city", a.City}, {"shipping_address.postal_code", a.PostalCode},
		{"shipping_address.country", a.Country}, {"payment.token", c.Payment.Token},
	}
	var errs []frontend.FieldError
	for _, s := range strs {
		if s.v.bad {
			errs = append(errs, frontend.FieldError{Field: s.field, Detail: "must be a string"})
		}
	}
	for i, it := range c.Items {
		if it.ISBN.bad {
			errs = append(errs, frontend.FieldError{Field: fmt.Sprintf("items[%d].isbn", i), Detail: "must be a string"})
		}
		if it.Quantity.bad {
			errs = append(errs, frontend.FieldError{Field: fmt.Sprintf("items[%d].quantity", i),
				Detail: fmt.Sprintf("must be a whole number from 1 to %d", frontend.MaxQuantity)})
		}
	}
	return errs
}

// wrongType names the field of a value that is not even the right kind of
// JSON (an object where a list belongs, say).
func wrongType(e *json.UnmarshalTypeError) frontend.FieldError {
	field := e.Field
	if field == "" {
		return frontend.FieldError{Field: "body", Detail: "must be a JSON object"}
	}
	kind := map[string]string{"slice": "a list", "struct": "an object"}[e.Type.Kind().String()]
	if kind == "" {
		kind = "a " + e.Type.Kind().String()
	}
	return frontend.FieldError{Field: field, Detail: "must be " + kind + ", not " + e.Value}
}
