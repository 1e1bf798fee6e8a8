package smtp_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"testing"
	"time"

	"bookshop/communication"
	"bookshop/communication/smtp"
	"bookshop/pkg/msg"

	"github.com/google/go-cmp/cmp"
)

var email = communication.Email{ID: "eml-1", OrderID: "ord-1", To: "ada@example.com",
	Template: "order_confirmed", Subject: "Your bookshop order ord-1 is confirmed — €95.00",
	Text:   "Hello Ada Lovelace,\n\n  1 × Introduction to Algorithms  €95.00\n" + strings.Repeat("long line ", 20) + "\n",
	HTML:   "<p>Hello Ada Lovelace,</p>\n<p>€95.00</p>\n",
	SentAt: time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)}

func newSender(t *testing.T, addr string, edit func(*smtp.Config)) *smtp.Sender {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	cfg := smtp.Config{Host: host, Port: p, Username: "shop", Password: "s3cret",
		From: "Bookshop <shop@example.com>", Timeout: 5 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	s, err := smtp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSend(t *testing.T) {
	serverTLS, clientTLS := selfSigned(t)
	tests := []struct {
		name    string
		server  *testServer
		edit    func(*smtp.Config)
		wantTLS bool
	}{
		{name: "plain, localhost auth", server: &testServer{}},
		{name: "starttls", server: &testServer{tlsConf: serverTLS},
			edit: func(c *smtp.Config) { c.TLS = clientTLS }, wantTLS: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, tt.server)
			if err := newSender(t, srv.addr, tt.edit).Send(context.Background(), email); err != nil {
				t.Fatal(err)
			}
			got := srv.got()
			if len(got) != 1 {
				t.Fatalf("server got %d messages, want 1", len(got))
			}
			r := got[0]
			if !strings.HasPrefix(r.from, "FROM:<shop@example.com>") || !strings.HasPrefix(r.to, "TO:<ada@example.com>") || r.tls != tt.wantTLS {
				t.Errorf("envelope from %q to %q tls %v", r.from, r.to, r.tls)
			}
			if auth := decodePlain(t, r.auth); auth != "\x00shop\x00s3cret" {
				t.Errorf("AUTH PLAIN = %q", auth)
			}
			checkMessage(t, r.data)
		})
	}
}

// checkMessage parses the message as a mail client would.
func checkMessage(t *testing.T, data string) {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	headers := map[string]string{"subject": subject, "from": m.Header.Get("From"), "to": m.Header.Get("To"),
		"message-id": m.Header.Get("Message-ID"), "date": m.Header.Get("Date")}
	want := map[string]string{"subject": email.Subject, "from": `"Bookshop" <shop@example.com>`,
		"to": "<ada@example.com>", "message-id": "<eml-1@example.com>", "date": "Wed, 25 Nov 2026 10:30:00 +0000"}
	if diff := cmp.Diff(want, headers); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	mediaType, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q: %v", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	var parts []string
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p.Header.Get("Content-Type")+"\n"+string(bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))))
	}
	wantParts := []string{"text/plain; charset=utf-8\n" + email.Text, "text/html; charset=utf-8\n" + email.HTML}
	if diff := cmp.Diff(wantParts, parts); diff != "" {
		t.Errorf("parts (-want +got):\n%s", diff)
	}
}

func TestSendFailuresAreTransient(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	tests := []struct {
		name string
		addr func(t *testing.T) string
	}{
		{"nothing listening", func(*testing.T) string { return closedAddr }},
		{"recipient refused", func(t *testing.T) string { return startServer(t, &testServer{rcpt: "451 try again later"}).addr }},
		{"server never answers", func(t *testing.T) string { return startServer(t, &testServer{mute: true}).addr }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSender(t, tt.addr(t), func(c *smtp.Config) { c.Timeout = 300 * time.Millisecond })
			start := time.Now()
			err := s.Send(context.Background(), email)
			if err == nil || msg.IsPermanent(err) {
				t.Fatalf("err = %v, want a transient error", err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error reveals the password: %v", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Send took %v despite a 300ms timeout", d)
			}
		})
	}
}

func TestConfigLogValueHidesPassword(t *testing.T) {
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("smtp", "config",
		smtp.Config{Host: "mail.example.com", Port: 587, Username: "shop", Password: "s3cret"})
	if strings.Contains(buf.String(), "s3cret") || !strings.Contains(buf.String(), "mail.example.com") {
		t.Errorf("log line %q: want the host and not the password", buf.String())
	}
}
