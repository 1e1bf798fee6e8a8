// Package smtp sends communication's emails through an SMTP server, as
// multipart/alternative messages with a plain-text and an HTML part.
package smtp

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	netsmtp "net/smtp"
	"strconv"
	"time"

	"bookshop/communication"
)

// Config is how to reach the SMTP server.
type Config struct {
	Host     string
	Port     int
	Username string // empty: no authentication
	Password string // never logged
	From     string // "Bookshop <shop@example.com>"
	Timeout  time.Duration
	// TLS is the base of the STARTTLS configuration (ServerName is set to
	// Host); nil uses the system roots.
	TLS *tls.Config
}

// LogValue keeps the password out of every log line.
func (c Config) LogValue() slog.Value {
	pw := ""
	if c.Password != "" {
		pw = "[redacted]"
	}
	return slog.GroupValue(slog.String("host", c.Host), slog.Int("port", c.Port),
		slog.String("username", c.Username), slog.String("password", pw), slog.String("from", c.From),
		slog.Duration("timeout", c.Timeout))
}

// Sender is the communication.Sender that delivers through SMTP. Every
// failure is returned as a plain error, so the command is redelivered:
// delivery is at least once (a crash after the server accepted the message
// but before the email row committed sends it again).
type Sender struct {
	cfg  Config
	from *mail.Address
}

var _ communication.Sender = (*Sender)(nil)

// New returns a Sender for cfg.
func New(cfg Config) (*Sender, error) {
	if cfg.Host == "" {
		return nil, fmt.Errorf("smtp sender: host is empty")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("smtp sender: from address %q: %w", cfg.From, err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	return &Sender{cfg: cfg, from: from}, nil
}

// Name returns "smtp".
func (s *Sender) Name() string { return "smtp" }

// Send delivers e in one SMTP session bounded by the configured timeout and
// by ctx.
func (s *Sender) Send(ctx context.Context, e communication.Email) error {
	to, err := mail.ParseAddress(e.To)
	if err != nil {
		return fmt.Errorf("smtp email %s: recipient %q: %w", e.ID, e.To, err)
	}
	body, err := Message(s.from, to, e)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp email %s of order %s: dial %s: %w", e.ID, e.OrderID, addr, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline) // a failure shows as an error of the next read or write
	// Cancelling ctx (shutdown) unblocks a stalled session at once.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := s.session(conn, to.Address, body); err != nil {
		return fmt.Errorf("smtp email %s of order %s to %s via %s: %w", e.ID, e.OrderID, to.Address, addr, err)
	}
	return nil
}

// session speaks SMTP on conn: STARTTLS when offered, AUTH when configured,
// then one message.
func (s *Sender) session(conn net.Conn, to string, body []byte) error {
	c, err := netsmtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	defer c.Close()
	if err := s.secure(c); err != nil {
		return err
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("mail from %s: %w", s.from.Address, err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("rcpt to: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("end of message: %w", err)
	}
	// The server has accepted the message: a failed QUIT must not make it
	// send again.
	_ = c.Quit()
	return nil
}

// secure upgrades to TLS when the server offers it, then authenticates when
// a username is configured.
func (s *Sender) secure(c *netsmtp.Client) error {
	if ok, _ := c.Extension("STARTTLS"); ok {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if s.cfg.TLS != nil {
			tc = s.cfg.TLS.Clone()
		}
		tc.ServerName = s.cfg.Host
		if err := c.StartTLS(tc); err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
	}
	if s.cfg.Username == "" {
		return nil
	}
	// PlainAuth refuses to send the password unencrypted except to localhost.
	if err := c.Auth(netsmtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host)); err != nil {
		return fmt.Errorf("auth as %s: %w", s.cfg.Username, err)
	}
	return nil
}
