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
