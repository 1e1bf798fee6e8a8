package httpapi

import (
	"encoding/json"
	"testing"
)

// TestJSONStringAsUnmarshal checks that the leaves of a checkout decode as
// json.Unmarshal decodes a string, fast path or not.
func TestJSONStringAsUnmarshal(t *testing.T) {
	for _, raw := range []string{`""`, `"Ada Lovelace"`, `"12 St James's Square"`, `"Zoë Šimić 東京"`,
		`"tab\tand \"quotes\""`, `"\u00e9\u2028"`, `"a\\b"`, `"/<>&"`, "\"bad \xff utf-8\"", "\"\xe2\x82\""} {
		var want string
		if err := json.Unmarshal([]byte(raw), &want); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		var got jsonString
		if err := got.UnmarshalJSON([]byte(raw)); err != nil || got.bad || got.s != want {
			t.Errorf("%s: got %q (bad %v, err %v), want %q", raw, got.s, got.bad, err, want)
		}
	}
	for _, raw := range []string{`1`, `true`, `{}`, `[]`} {
		var got jsonString
		if _ = got.UnmarshalJSON([]byte(raw)); !got.bad {
			t.Errorf("%s: not marked bad", raw)
		}
	}
}

// The same request spelled with other spacing and key order hashes the same.
func TestRequestHashIgnoresSpacingAndKeyOrder(t *testing.T) {
	a := requestHash([]byte(`{"customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
 "items": [{"isbn": "9781449373320", "quantity": 1}],
 "payment": {"token": "tok_visa"},
 "shipping_address": {"line1": "12 St James's Square", "city": "London",
                      "postal_code": "SW1Y 4JH", "country": "GB"}}`))
	b := requestHash([]byte(`{"shipping_address":{"country":"GB","postal_code":"SW1Y 4JH","city":"London",` +
		`"line1":"12 St James's Square"},"payment":{"token":"tok_visa"},"items":[{"quantity":1,"isbn":"9781449373320"}],` +
		`"customer":{"email":"ada@example.com","name":"Ada Lovelace"}}`))
	if a != b {
		t.Errorf("the same request spelled differently hashes differently")
	}
}
