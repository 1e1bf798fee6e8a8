package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"unicode/utf8"
)

// requestHash identifies a request body whatever its spacing and key order:
// the SHA-256 of its canonical JSON (objects with sorted keys, compact), as
// json.Marshal writes the body decoded into an any. Bodies in the common
// subset (strings without escapes, integers, no repeated keys) are made
// canonical in one pass over the bytes; any other goes through encoding/json.
func requestHash(body []byte) string {
	c := canonicalizer{s: body}
	canonical, ok := c.value(make([]byte, 0, len(body)))
	if c.skipSpace(); !ok || c.i != len(c.s) {
		canonical = slowCanonical(body)
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}

// slowCanonical is the canonical JSON by definition: decoded into an any
// and marshalled again; a body that does not decode is its own.
func slowCanonical(body []byte) []byte {
	var v any
	if json.Unmarshal(body, &v) == nil {
		if b, err := json.Marshal(v); err == nil {
			return b
		}
	}
	return body
}

// canonicalizer copies a JSON value in canonical form, or gives up (ok
// false) on anything whose canonical form is not its own bytes: an escape,
// a character json.Marshal escapes, a number with a fraction or exponent
// or too many digits for a float64 to hold exactly, a repeated key, or
// anything that is not valid JSON.
type canonicalizer struct {
	s []byte
	i int
}

func (c *canonicalizer) skipSpace() {
	for c.i < len(c.s) {
		switch c.s[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

func (c *canonicalizer) value(dst []byte) ([]byte, bool) {
	c.skipSpace()
	if c.i >= len(c.s) {
		return dst, false
	}
	switch b := c.s[c.i]; {
	case b == '{':
		return c.object(dst)
	case b == '[':
		return c.array(dst)
	case b == '"':
		s, ok := c.str()
		return append(dst, s...), ok
	case b == '-' || (b >= '0' && b <= '9'):
		return c.integer(dst)
	}
	for _, lit := range []string{"true", "false", "null"} {
		if bytes.HasPrefix(c.s[c.i:], []byte(lit)) {
			c.i += len(lit)
			return append(dst, lit...), true
		}
	}
	return dst, false
}

// str returns the string at c.i with its quotes, if json.Marshal would
// write its decoded value back the same.
func (c *canonicalizer) str() ([]byte, bool) {
	start := c.i
	ascii := true
	for c.i++; c.i < len(c.s); c.i++ {
		switch b := c.s[c.i]; {
		case b == '"':
			c.i++
			s := c.s[start:c.i]
			if !ascii && (!utf8.Valid(s) || bytes.Contains(s, []byte("\u2028")) || bytes.Contains(s, []byte("\u2029"))) {
				return nil, false
			}
			return s, true
		case b < ' ' || b == '\\' || b == '<' || b == '>' || b == '&':
			return nil, false
		case b >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// integer copies an integer of at most 15 digits, which a float64 holds
// exactly and json.Marshal writes back as it was.
func (c *canonicalizer) integer(dst []byte) ([]byte, bool) {
	start := c.i
	if c.s[c.i] == '-' {
		c.i++
	}
	digits := c.i
	for c.i < len(c.s) && c.s[c.i] >= '0' && c.s[c.i] <= '9' {
		c.i++
	}
	n := c.i - digits
	if n == 0 || n > 15 || (n > 1 && c.s[digits] == '0') {
		return dst, false
	}
	if c.i < len(c.s) && (c.s[c.i] == '.' || c.s[c.i] == 'e' || c.s[c.i] == 'E') {
		return dst, false
	}
	return append(dst, c.s[start:c.i]...), true
}

func (c *canonicalizer) array(dst []byte) ([]byte, bool) {
	c.i++ // [
	dst = append(dst, '[')
	c.skipSpace()
	if c.i < len(c.s) && c.s[c.i] == ']' {
		c.i++
		return append(dst, ']'), true
	}
	for {
		var ok bool
		if dst, ok = c.value(dst); !ok {
			return dst, false
		}
		c.skipSpace()
		if c.i >= len(c.s) {
			return dst, false
		}
		switch c.s[c.i] {
		case ',':
			c.i++
			dst = append(dst, ',')
		case ']':
			c.i++
			return append(dst, ']'), true
		default:
			return dst, false
		}
	}
}

// member is one key and value of an object, as copied into dst.
type member struct {
	key        []byte // quoted, from the body
	start, end int    // the member's bytes in dst: "key":value, no comma
}

func (c *canonicalizer) object(dst []byte) ([]byte, bool) {
	c.i++ // {
	dst = append(dst, '{')
	base := len(dst)
	var stack [8]member
	members := stack[:0]
	c.skipSpace()
	if c.i < len(c.s) && c.s[c.i] == '}' {
		c.i++
		return append(dst, '}'), true
	}
	for {
		c.skipSpace()
		if c.i >= len(c.s) || c.s[c.i] != '"' {
			return dst, false
		}
		key, ok := c.str()
		if !ok {
			return dst, false
		}
		c.skipSpace()
		if c.i >= len(c.s) || c.s[c.i] != ':' {
			return dst, false
		}
		c.i++
		if len(members) > 0 {
			dst = append(dst, ',')
		}
		m := member{key: key, start: len(dst)}
		dst = append(append(dst, key...), ':')
		if dst, ok = c.value(dst); !ok {
			return dst, false
		}
		m.end = len(dst)
		members = append(members, m)
		c.skipSpace()
		if c.i >= len(c.s) {
			return dst, false
		}
		if c.s[c.i] == '}' {
			c.i++
			break
		}
		if c.s[c.i] != ',' {
			return dst, false
		}
		c.i++
	}
	// The members, sorted by key, replace their copies in source order.
	// (Keys compare without their quotes: "a" sorts before "a b".)
	byKey := func(a, b member) int { return bytes.Compare(a.key[1:len(a.key)-1], b.key[1:len(b.key)-1]) }
	sorted := slices.IsSortedFunc(members, byKey)
	if !sorted {
		slices.SortStableFunc(members, byKey)
	}
	for k := 1; k < len(members); k++ {
		if bytes.Equal(members[k-1].key, members[k].key) {
			return dst, false // the last one wins in json; left to it
		}
	}
	if sorted {
		return append(dst, '}'), true // already in key order
	}
	copied := bytes.Clone(dst[base:])
	dst = dst[:base]
	for k, m := range members {
		if k > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, copied[m.start-base:m.end-base]...)
	}
	return append(dst, '}'), true
}
