package main

import (
	"net/mail"
	"time"

	"bookshop/communication"
	"bookshop/communication/smtp"
	"bookshop/pkg/config"
)

const (
	name        = "communication"
	defaultAddr = "127.0.0.1:8084"
)

// Config is every key communication reads; see configs/communication.yaml.
type Config struct {
	config.Common `mapstructure:",squash"`
	Email         EmailConfig `mapstructure:"email"`
}

// EmailConfig chooses and configures the sender.
type EmailConfig struct {
	Sender string     `mapstructure:"sender"` // mailbox or smtp
	SMTP   SMTPConfig `mapstructure:"smtp"`
}

// SMTPConfig is used when Sender is smtp.
type SMTPConfig struct {
	Host     string        `mapstructure:"host"`
	Port     int           `mapstructure:"port"`
	Username string        `mapstructure:"username"`
	Password string        `mapstructure:"password"`
	From     string        `mapstructure:"from"`
	Timeout  time.Duration `mapstructure:"timeout"`
}

func defaults() Config {
	return Config{
		Common: config.Defaults(name, defaultAddr),
		Email: EmailConfig{
			Sender: "mailbox",
			SMTP:   SMTPConfig{Port: 587, Timeout: 10 * time.Second},
		},
	}
}

// Validate checks every key and names the first bad one; it never quotes
// the SMTP password.
func (c Config) Validate() error {
	if err := c.Common.Validate(); err != nil {
		return err
	}
	switch c.Email.Sender {
	case "mailbox":
		return nil
	case "smtp":
		return c.Email.SMTP.validate()
	}
	return config.KeyError("email.sender", "must be mailbox or smtp, not "+quote(c.Email.Sender))
}

func (s SMTPConfig) validate() error {
	switch {
	case s.Host == "":
		return config.KeyError("email.smtp.host", "must be set when email.sender is smtp")
	case s.Port < 1 || s.Port > 65535:
		return config.KeyError("email.smtp.port", "must be between 1 and 65535")
	case s.From == "":
		return config.KeyError("email.smtp.from", "must be set when email.sender is smtp")
	case s.Username != "" && s.Password == "":
		return config.KeyError("email.smtp.password", "must be set when email.smtp.username is")
	case s.Timeout <= 0:
		return config.KeyError("email.smtp.timeout", "must be positive")
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		return config.KeyError("email.smtp.from", "must be an email address such as \"Bookshop <shop@example.com>\": "+err.Error())
	}
	return nil
}

// newSender builds the sender the configuration names.
func newSender(c EmailConfig) (communication.Sender, error) {
	if c.Sender != "smtp" {
		return communication.Mailbox{}, nil
	}
	return smtp.New(smtp.Config{Host: c.SMTP.Host, Port: c.SMTP.Port, Username: c.SMTP.Username,
		Password: c.SMTP.Password, From: c.SMTP.From, Timeout: c.SMTP.Timeout})
}

func quote(s string) string { return "\"" + s + "\"" }
