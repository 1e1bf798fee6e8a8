package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func slowHash(body []byte) string {
	sum := sha256.Sum256(slowCanonical(body))
	return hex.EncodeToString(sum[:])
}

var canonicalSeeds = []string{
	validBodyForTest,
	`{"payment":{"token":"tok_visa"},"customer":{"email":"ada@example.com","name":"Ada Lovelace"}}`,
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `12`, `-12`, `1.5`, `1e3`, `1E3`, `0.1`, `1e21`, `123456789012345`,
	`1234567890123456`, `12345678901234567890`, `"x"`, `""`, `"\u00e9"`, `"a\"b"`, `"<>&"`, `"Zoë 東京"`,
	"\"\u2028\"", "\"bad \xff\"", `{"a":1,"a":2}`, `{"a b":1,"a":2,"a!":3,"":4}`, `{"b":{"d":[1,{"f":null,"e":true}],"c":"x"},"a":[]}`,
	`{"a":1,}`, `{"a" 1}`, `[1,]`, `[1 2]`, `{"a":1} x`, ` { "a" : [ 1 , 2 ] } `, `tru`, `nul`, `"unterminated`,
	`{"items":[{"quantity":1,"isbn":"9781449373320"},{"isbn":"x","quantity":1.0}]}`, `{"a":-}`, `{"a":01}`,
	`{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k0":0}`, "\t[\n]\r", `{"\u0061":1,"a":2}`,
}

const validBodyForTest = `{"customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
 "items": [{"isbn": "9781449373320", "quantity": 1}],
 "payment": {"token": "tok_visa"},
 "shipping_address": {"line1": "12 St James's Square", "city": "London",
                      "postal_code": "SW1Y 4JH", "country": "GB"}}`

// TestRequestHashAsSlow requires the one-pass canonical form to hash as
// json.Marshal of the decoded body does (or as the body itself, when it
// does not decode), whichever way each body goes.
func TestRequestHashAsSlow(t *testing.T) {
	for _, body := range canonicalSeeds {
		if got, want := requestHash([]byte(body)), slowHash([]byte(body)); got != want {
			c := canonicalizer{s: []byte(body)}
			fast, ok := c.value(nil)
			t.Errorf("%s: hash differs; fast path %v gave %s, json gives %s", body, ok, fast, slowCanonical([]byte(body)))
		}
	}
	// The usual checkout takes the fast path.
	c := canonicalizer{s: []byte(validBodyForTest)}
	if _, ok := c.value(nil); !ok {
		t.Errorf("a plain checkout body misses the one-pass canonical form")
	}
	// Spacing and key order do not matter.
	a := requestHash([]byte(validBodyForTest))
	b := requestHash([]byte(`{"shipping_address":{"country":"GB","postal_code":"SW1Y 4JH","city":"London",` +
		`"line1":"12 St James's Square"},"payment":{"token":"tok_visa"},"items":[{"quantity":1,"isbn":"9781449373320"}],` +
		`"customer":{"email":"ada@example.com","name":"Ada Lovelace"}}`))
	if a != b {
		t.Errorf("the same request spelled differently hashes differently")
	}
}

func FuzzRequestHash(f *testing.F) {
	for _, s := range canonicalSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if got, want := requestHash(body), slowHash(body); got != want {
			t.Errorf("%q: requestHash %s, json %s (canonical %s)", body, got, want, slowCanonical(body))
		}
	})
}
