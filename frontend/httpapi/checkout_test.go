package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"bookshop/frontend"

	"github.com/google/go-cmp/cmp"
)

const validBody = `{"customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
 "items": [{"isbn": "9781449373320", "quantity": 1}],
 "payment": {"token": "tok_visa"},
 "shipping_address": {"line1": "12 St James's Square", "city": "London",
                      "postal_code": "SW1Y 4JH", "country": "GB"}}`

// with returns the valid body with the value at a dotted path replaced (or
// removed, for the value remove).
func with(t *testing.T, path string, value any) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(validBody), &m); err != nil {
		t.Fatal(err)
	}
	keys := strings.Split(path, ".")
	var node any = m
	for _, k := range keys[:len(keys)-1] {
		switch n := node.(type) {
		case map[string]any:
			node = n[k]
		case []any:
			var i int
			fmt.Sscan(k, &i)
			node = n[i]
		}
	}
	last := keys[len(keys)-1]
	obj := node.(map[string]any)
	if value == remove {
		delete(obj, last)
	} else {
		obj[last] = value
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var remove = &struct{}{}

func lines(n int, isbn func(i int) string, qty any) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"isbn": isbn(i), "quantity": qty}
	}
	return out
}

func volume(i int) string { return isbn(fmt.Sprintf("978100000%03d", i)) }

type fe = frontend.FieldError

func req(field, detail string) fe { return fe{Field: field, Detail: detail} }

const (
	isbnMsg    = "must be an ISBN-13: 13 digits with a valid check digit"
	qtyMsg     = "must be a whole number from 1 to 99"
	emailMsg   = "must be an email address like ada@example.com"
	countryMsg = "must be an ISO 3166-1 alpha-2 country code, like GB or FR"
)

// allRequired is what an empty order lacks, in field order.
var allRequired = []fe{
	req("customer.name", "is required"), req("customer.email", "is required"),
	req("items", "must list at least one book"),
	req("shipping_address.line1", "is required"), req("shipping_address.city", "is required"),
	req("shipping_address.postal_code", "is required"), req("shipping_address.country", "is required"),
	req("payment.token", "is required"),
}

// TestCheckoutValidation checks every rule of POST /api/orders: the status
// and every bad field named in the problem's errors list.
func TestCheckoutValidation(t *testing.T) {
	js := "application/json"
	long := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name        string
		contentType string
		body        string
		key         string
		status      int
		errors      []fe
	}{
		{"valid", js, validBody, "", 202, nil},
		{"valid with charset", "application/json; charset=utf-8", validBody, "", 202, nil},
		{"unknown fields ignored", js, with(t, "gift_wrap", true), "", 202, nil},
		{"no content type", "", validBody, "", 415, nil},
		{"text/plain", "text/plain", validBody, "", 415, nil},
		{"form", "application/x-www-form-urlencoded", "customer.name=Ada", "", 415, nil},
		{"not JSON", js, `{"customer":`, "", 415, nil},
		{"empty body", js, ``, "", 415, nil},
		{"body of 64 KiB", js, validBody + strings.Repeat(" ", 64<<10-len(validBody)), "", 202, nil},
		{"body over 64 KiB", js, validBody + strings.Repeat(" ", 64<<10-len(validBody)+1), "", 413, nil},
		{"empty object", js, `{}`, "", 400, allRequired},
		{"null", js, `null`, "", 400, append([]fe{req("body", "must be a JSON object, not null")}, allRequired...)},
		{"a list", js, `[]`, "", 400, append([]fe{req("body", "must be a JSON object")}, allRequired...)},
		{"name blank", js, with(t, "customer.name", "   "), "", 400, []fe{req("customer.name", "is required")}},
		{"name missing", js, with(t, "customer.name", remove), "", 400, []fe{req("customer.name", "is required")}},
		{"name 200", js, with(t, "customer.name", long(200)), "", 202, nil},
		{"name 201", js, with(t, "customer.name", long(201)), "", 400, []fe{req("customer.name", "must be at most 200 characters")}},
		{"name control", js, with(t, "customer.name", "Ada\u0007"), "", 400,
			[]fe{req("customer.name", "must be plain text, without control characters")}},
		{"name not a string", js, with(t, "customer.name", 42), "", 400, []fe{req("customer.name", "must be a string")}},
		{"customer not an object", js, with(t, "customer", "Ada"), "", 400, []fe{req("customer", "must be an object, not string"),
			req("customer.name", "is required"), req("customer.email", "is required")}},
		{"email missing", js, with(t, "customer.email", ""), "", 400, []fe{req("customer.email", "is required")}},
		{"email no at", js, with(t, "customer.email", "ada"), "", 400, []fe{req("customer.email", emailMsg)}},
		{"email no domain", js, with(t, "customer.email", "ada@"), "", 400, []fe{req("customer.email", emailMsg)}},
		{"email no dot", js, with(t, "customer.email", "ada@localhost"), "", 400, []fe{req("customer.email", emailMsg)}},
		{"email with name", js, with(t, "customer.email", "Ada <ada@example.com>"), "", 400, []fe{req("customer.email", emailMsg)}},
		{"email with space", js, with(t, "customer.email", "a da@example.com"), "", 400, []fe{req("customer.email", emailMsg)}},
		{"email trimmed", js, with(t, "customer.email", " ada@example.com "), "", 202, nil},
		{"items empty", js, with(t, "items", []any{}), "", 400, []fe{req("items", "must list at least one book")}},
		{"items not a list", js, with(t, "items", map[string]any{}), "", 400,
			[]fe{req("items", "must be a list, not object")}},
		{"50 lines", js, with(t, "items", lines(50, volume, 1)), "", 202, nil},
		{"51 lines", js, with(t, "items", lines(51, volume, 1)), "", 400,
			[]fe{req("items", "must list at most 50 books (it lists 51)")}},
		{"quantity 1", js, with(t, "items", lines(1, volume, 1)), "", 202, nil},
		{"quantity 99", js, with(t, "items", lines(1, volume, 99)), "", 202, nil},
		{"quantity 0", js, with(t, "items", lines(1, volume, 0)), "", 400, []fe{req("items[0].quantity", qtyMsg)}},
		{"quantity 100", js, with(t, "items", lines(1, volume, 100)), "", 400, []fe{req("items[0].quantity", qtyMsg)}},
		{"quantity -1", js, with(t, "items", lines(1, volume, -1)), "", 400, []fe{req("items[0].quantity", qtyMsg)}},
		{"quantity 1.5", js, with(t, "items", lines(1, volume, 1.5)), "", 400, []fe{req("items[0].quantity", qtyMsg)}},
		{"quantity huge", js, with(t, "items", lines(1, volume, 1e12)), "", 400, []fe{req("items[0].quantity", qtyMsg)}},
		{"quantity a string", js, with(t, "items", lines(1, volume, "2")), "", 400, []fe{req("items[0].quantity", qtyMsg)}},
		{"quantity missing", js, with(t, "items", lines(1, volume, nil)), "", 400, []fe{req("items[0].quantity", qtyMsg)}},
		{"isbn missing", js, with(t, "items", lines(1, func(int) string { return "" }, 1)), "", 400,
			[]fe{req("items[0].isbn", "is required")}},
		{"isbn not digits", js, with(t, "items", lines(1, func(int) string { return "abc" }, 1)), "", 400,
			[]fe{req("items[0].isbn", isbnMsg)}},
		{"isbn bad check digit", js, with(t, "items", lines(1, func(int) string { return "9781449373321" }, 1)), "", 400,
			[]fe{req("items[0].isbn", isbnMsg)}},
		{"isbn with hyphens", js, with(t, "items", lines(1, func(int) string { return "978-1-4493-7332-0" }, 1)), "", 202, nil},
		{"isbn unknown", js, with(t, "items", lines(2, func(i int) string { return []string{"9781449373320", "9780262033848"}[i] }, 1)),
			"", 422, []fe{req("items[1].isbn", "9780262033848 is not a book we sell")}},
		{"isbn unknown and a bad field", js, with(t, "items", lines(1, func(int) string { return "9780262033848" }, 0)), "", 400,
			[]fe{req("items[0].isbn", "9780262033848 is not a book we sell"), req("items[0].quantity", qtyMsg)}},
		{"isbn twice", js, with(t, "items", lines(2, func(int) string { return "9781449373320" }, 1)), "", 400,
			[]fe{req("items[1].isbn", "repeats items[0]; order more copies with its quantity instead")}},
		{"currencies mixed", js, with(t, "items", lines(2, func(i int) string { return []string{"9781449373320", "9780134190440"}[i] }, 1)),
			"", 400, []fe{req("items", "mixes books priced in different currencies; order them separately")}},
		{"out of stock is accepted (fulfillment decides)", js,
			with(t, "items", lines(1, func(int) string { return "9780451524935" }, 1)), "", 202, nil},
		{"line1 missing", js, with(t, "shipping_address.line1", remove), "", 400, []fe{req("shipping_address.line1", "is required")}},
		{"line2 too long", js, with(t, "shipping_address.line2", long(201)), "", 400,
			[]fe{req("shipping_address.line2", "must be at most 200 characters")}},
		{"city blank", js, with(t, "shipping_address.city", " "), "", 400, []fe{req("shipping_address.city", "is required")}},
		{"city too long", js, with(t, "shipping_address.city", long(101)), "", 400,
			[]fe{req("shipping_address.city", "must be at most 100 characters")}},
		{"postal code missing", js, with(t, "shipping_address.postal_code", ""), "", 400,
			[]fe{req("shipping_address.postal_code", "is required")}},
		{"postal code too long", js, with(t, "shipping_address.postal_code", long(21)), "", 400,
			[]fe{req("shipping_address.postal_code", "must be at most 20 characters")}},
		{"country missing", js, with(t, "shipping_address.country", remove), "", 400,
			[]fe{req("shipping_address.country", "is required")}},
		{"country UK", js, with(t, "shipping_address.country", "UK"), "", 400, []fe{req("shipping_address.country", countryMsg)}},
		{"country alpha-3", js, with(t, "shipping_address.country", "GBR"), "", 400, []fe{req("shipping_address.country", countryMsg)}},
		{"country lower case", js, with(t, "shipping_address.country", "fr"), "", 202, nil},
		{"address not an object", js, with(t, "shipping_address", []any{}), "", 400,
			[]fe{req("shipping_address", "must be an object, not array"), req("shipping_address.line1", "is required"),
				req("shipping_address.city", "is required"), req("shipping_address.postal_code", "is required"),
				req("shipping_address.country", "is required")}},
		{"token missing", js, with(t, "payment", map[string]any{}), "", 400, []fe{req("payment.token", "is required")}},
		{"token blank", js, with(t, "payment.token", "  "), "", 400, []fe{req("payment.token", "is required")}},
		{"token unknown is billing's business", js, with(t, "payment.token", "tok_unknown"), "", 202, nil},
		{"token not a string", js, with(t, "payment.token", true), "", 400, []fe{req("payment.token", "must be a string")}},
		{"every field at once", js, `{"customer": {"name": "", "email": "x"}, "items": [{"isbn": "1", "quantity": 0}],
			"payment": {}, "shipping_address": {"country": "XX"}}`, "", 400,
			[]fe{req("customer.name", "is required"), req("customer.email", emailMsg), req("items[0].isbn", isbnMsg),
				req("items[0].quantity", qtyMsg), req("shipping_address.line1", "is required"),
				req("shipping_address.city", "is required"), req("shipping_address.postal_code", "is required"),
				req("shipping_address.country", countryMsg), req("payment.token", "is required")}},
		{"key too long", js, validBody, long(256), 400,
			[]fe{req("Idempotency-Key", "must be 1 to 255 visible ASCII characters, such as a UUID")}},
		{"key with a space", js, validBody, "a b", 400,
			[]fe{req("Idempotency-Key", "must be 1 to 255 visible ASCII characters, such as a UUID")}},
		{"key of 255", js, validBody, long(255), 202, nil},
	}
	e := newEnvWith(t, withVolumes(testBooks()))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := map[string]string{"Content-Type": tt.contentType}
			if tt.key != "" {
				header["Idempotency-Key"] = tt.key
			}
			resp, body := do(t, e, "POST", "/api/orders", tt.body, header)
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
			if tt.status == 202 {
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q, want application/problem+json", ct)
			}
			var p struct {
				Type   string `json:"type"`
				Title  string `json:"title"`
				Status int    `json:"status"`
				Errors []fe   `json:"errors"`
			}
			if err := json.Unmarshal([]byte(body), &p); err != nil || p.Status != tt.status || p.Title == "" || p.Type == "" {
				t.Errorf("problem = %s (%v), want type, title and status %d", body, err, tt.status)
			}
			if diff := cmp.Diff(tt.errors, p.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s\nbody: %s", diff, body)
			}
		})
	}
}

// TestCheckoutAccepted checks the 202: its body (golden), Location, and the
// same order from GET; then the replay with the same key.
func TestCheckoutAccepted(t *testing.T) {
	e := newEnv(t)
	header := map[string]string{"Content-Type": "application/json", "Idempotency-Key": "k-1"}
	resp, body := do(t, e, "POST", "/api/orders", validBody, header)
	if resp.StatusCode != 202 || resp.Header.Get("Location") != "/api/orders/ord-2" {
		t.Fatalf("POST = %d, Location %q; body %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	checkGolden(t, "checkout_accepted.json", []byte(body))
	if _, got := do(t, e, "GET", "/api/orders/ord-2", "", nil); got != body {
		t.Errorf("GET /api/orders/ord-2 = %s, want the 202's body", got)
	}
	// Same key, same request spelt differently: the same order.
	var v any
	_ = json.Unmarshal([]byte(validBody), &v)
	compact, _ := json.Marshal(v)
	resp, again := do(t, e, "POST", "/api/orders", string(compact), header)
	if resp.StatusCode != 202 || again != body || resp.Header.Get("Idempotent-Replayed") != "true" ||
		resp.Header.Get("Location") != "/api/orders/ord-2" {
		t.Errorf("replay = %d %q replayed %q; body %s", resp.StatusCode, resp.Header.Get("Location"),
			resp.Header.Get("Idempotent-Replayed"), again)
	}
	resp, other := do(t, e, "POST", "/api/orders", with(t, "customer.name", "Grace Hopper"), header)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(other, "Idempotency-Key") {
		t.Errorf("same key, other body = %d %s, want 422", resp.StatusCode, other)
	}
	if n := count(t, e, "orders"); n != 1 {
		t.Errorf("%d orders stored, want 1", n)
	}
}

// TestCheckoutConcurrentOneKey: 20 clients send the same order with one key
// at once; exactly one order is placed and all of them get it.
func TestCheckoutConcurrentOneKey(t *testing.T) {
	e := newEnv(t)
	header := map[string]string{"Content-Type": "application/json", "Idempotency-Key": "same-key"}
	var wg sync.WaitGroup
	ids := make([]string, 20)
	codes := make([]int, 20)
	for i := range ids {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/orders", strings.NewReader(validBody))
			for k, v := range header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var o struct{ ID string }
			_ = json.NewDecoder(resp.Body).Decode(&o)
			ids[i], codes[i] = o.ID, resp.StatusCode
		})
	}
	wg.Wait()
	for i := range ids {
		if ids[i] != ids[0] || codes[i] != 202 || ids[i] == "" {
			t.Errorf("client %d got %d %q; client 0 got %d %q", i, codes[i], ids[i], codes[0], ids[0])
		}
	}
	if n, m := count(t, e, "orders"), count(t, e, "outbox"); n != 1 || m != 1 {
		t.Errorf("%d orders and %d outbox messages stored, want 1 and 1", n, m)
	}
}

func count(t *testing.T, e *env, table string) int {
	t.Helper()
	var n int
	if err := e.db.Get(&n, "SELECT count(*) FROM "+table); err != nil {
		t.Fatal(err)
	}
	return n
}
