// Package msg holds bookshop's message contracts: the envelope every message
// travels in, the typed payload of each message type, and how to decode them.
// Besides the standard library it needs only ULIDs and go-json-experiment/json
// (the prototype of encoding/json/v2), so every service can import it.
package msg

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/oklog/ulid/v2"
)

// Version is the envelope and contract version this code writes. A decoder
// accepts every version up to it; unknown payload fields are ignored, so an
// older consumer reads a newer producer's message as long as the required
// fields it knows are present.
const Version = 1

// Envelope is what goes over the wire: routing facts plus a typed payload.
type Envelope struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	Version       int             `json:"version"`
	CorrelationID string          `json:"correlation_id"` // the order id
	CausationID   string          `json:"causation_id,omitempty"`
	SentAt        time.Time       `json:"sent_at"`
	Payload       json.RawMessage `json:"payload"`
}

// Outgoing is an envelope addressed to a destination queue.
type Outgoing struct {
	To       string   `json:"to"` // destination queue: "billing", "orchestrator", ...
	Envelope Envelope `json:"envelope"`
}

// Message is implemented by every payload type.
type Message interface {
	MessageType() string
	// Validate reports a missing or malformed required field.
	Validate() error
}

var (
	entropyMu sync.Mutex
	entropy   = ulid.Monotonic(rand.Reader, 0)
)

// NewID returns a new, time-ordered, globally unique message id (a ULID).
func NewID() string {
	entropyMu.Lock()
	defer entropyMu.Unlock()
	return ulid.MustNew(ulid.Timestamp(time.Now()), entropy).String()
}

// New wraps m in an envelope with a fresh id.
func New(m Message, correlationID, causationID string, now time.Time) (Envelope, error) {
	return NewWithID(NewID(), m, correlationID, causationID, now)
}

// NewWithID wraps m in an envelope with the given id (a command resent after
// a timeout keeps its id so that the worker recognises it).
func NewWithID(id string, m Message, correlationID, causationID string, now time.Time) (Envelope, error) {
	if err := m.Validate(); err != nil {
		return Envelope{}, fmt.Errorf("build %s for %s: %w", m.MessageType(), correlationID, err)
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return Envelope{}, fmt.Errorf("encode %s for %s: %w", m.MessageType(), correlationID, err)
	}
	return Envelope{
		ID:            id,
		Type:          m.MessageType(),
		Version:       Version,
		CorrelationID: correlationID,
		CausationID:   causationID,
		SentAt:        now.UTC(),
		Payload:       payload,
	}, nil
}

// To addresses the envelope.
func (e Envelope) To(queue string) Outgoing { return Outgoing{To: queue, Envelope: e} }

// Marshal encodes the envelope as the message body: exactly the bytes
// json.Marshal gives, written without reflection, since every message sent
// passes through here.
func (e Envelope) Marshal() ([]byte, error) {
	if y := e.SentAt.Year(); y < 0 || y > 9999 {
		return json.Marshal(e) // its error names the bad year
	}
	b := make([]byte, 0, 160+len(e.ID)+len(e.CorrelationID)+len(e.CausationID)+len(e.Payload))
	b = append(b, `{"id":`...)
	b = AppendString(b, e.ID)
	b = append(b, `,"type":`...)
	b = AppendString(b, e.Type)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(e.Version), 10)
	b = append(b, `,"correlation_id":`...)
	b = AppendString(b, e.CorrelationID)
	if e.CausationID != "" {
		b = append(b, `,"causation_id":`...)
		b = AppendString(b, e.CausationID)
	}
	b = append(b, `,"sent_at":"`...)
	b = e.SentAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","payload":`...)
	if len(e.Payload) == 0 {
		b = append(b, "null"...)
	} else {
		buf := bytes.NewBuffer(b)
		if err := json.Compact(buf, e.Payload); err != nil {
			return json.Marshal(e) // its error says what is wrong
		}
		b = buf.Bytes()
	}
	return append(b, '}'), nil
}

// AppendString appends s as a JSON string, as json.Marshal writes it: ids
// and type names are plain ASCII and go as they are; anything else takes
// json.Marshal's escaping.
func AppendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// Decode parses a message body into its envelope and typed payload. Every
// error it returns is Permanent: a body that cannot be read now never will be.
func Decode(body []byte) (Envelope, Message, error) {
	var env Envelope
	if err := Unmarshal(body, &env); err != nil {
		return env, nil, Permanent(fmt.Errorf("decode envelope: %w", err))
	}
	if env.ID == "" || env.Type == "" {
		return env, nil, Permanent(fmt.Errorf("decode envelope: id and type are required"))
	}
	if env.Version < 1 || env.Version > Version {
		return env, nil, Permanent(fmt.Errorf("decode %s %s: unsupported version %d (this build reads 1..%d)", env.Type, env.ID, env.Version, Version))
	}
	newPayload, ok := registry[env.Type]
	if !ok {
		return env, nil, Permanent(fmt.Errorf("decode %s: unknown message type %q", env.ID, env.Type))
	}
	m := newPayload()
	if err := Unmarshal(env.Payload, m); err != nil {
		return env, nil, Permanent(fmt.Errorf("decode %s %s payload: %w", env.Type, env.ID, err))
	}
	if err := m.Validate(); err != nil {
		return env, nil, Permanent(fmt.Errorf("validate %s %s: %w", env.Type, env.ID, err))
	}
	return env, m, nil
}

// Unmarshal decodes b into v exactly as encoding/json.Unmarshal does
// (case-insensitive names, duplicate names allowed, ...), about twice as
// fast and with a fifth of the allocations: go-json-experiment/json under
// encoding/json's options. Every delivery is decoded with it, in every
// program (BenchmarkDecode: ChargePayment 5.2 -> 3.2 us, StartPurchase 14
// -> 7.7 us), and so is what a program stores as JSON and reads back at
// every message (the orchestrator's saga data).
func Unmarshal(b []byte, v any) error { return jsonv2.Unmarshal(b, v, v1opts) }

var v1opts = jsonv1.DefaultOptionsV1()
