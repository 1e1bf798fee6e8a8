package communication

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"bookshop/pkg/msg"
)

// Each templates/NAME.tmpl defines NAME.subject, NAME.text and NAME.html;
// _partials.tmpl holds what they share. Both engines parse every file, but
// only *.html templates are executed by html/template (which escapes) and
// only *.subject and *.text by text/template.
//
//go:embed templates/*.tmpl
var templateFiles embed.FS

// Templates lists the email templates communication renders.
var Templates = []string{msg.TemplateOrderConfirmed, msg.TemplatePaymentDeclined, msg.TemplateOrderCancelled}

// Content is a rendered email.
type Content struct {
	Subject string
	Text    string
	HTML    string
}

// Renderer renders SendEmail commands with the embedded templates.
type Renderer struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// NewRenderer parses the embedded templates and checks that every template
// name has its subject, text and HTML parts.
func NewRenderer() (*Renderer, error) {
	text, err := texttemplate.New("").Option("missingkey=error").ParseFS(templateFiles, "templates/*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("parse text email templates: %w", err)
	}
	html, err := htmltemplate.New("").Option("missingkey=error").ParseFS(templateFiles, "templates/*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("parse html email templates: %w", err)
	}
	for _, name := range Templates {
		if text.Lookup(name+".subject") == nil || text.Lookup(name+".text") == nil || html.Lookup(name+".html") == nil {
			return nil, fmt.Errorf("email template %s: needs %[1]s.subject, %[1]s.text and %[1]s.html", name)
		}
	}
	return &Renderer{text: text, html: html}, nil
}

// Render renders m's template.
func (r *Renderer) Render(m *msg.SendEmail) (Content, error) {
	if r.text.Lookup(m.Template+".subject") == nil {
		return Content{}, fmt.Errorf("render email of order %s: unknown template %q", m.OrderID, m.Template)
	}
	v := newView(m)
	var subject, text, html bytes.Buffer
	if err := r.text.ExecuteTemplate(&subject, m.Template+".subject", v); err != nil {
		return Content{}, fmt.Errorf("render %s subject of order %s: %w", m.Template, m.OrderID, err)
	}
	// One line, whatever the data held: the subject becomes a mail header.
	v.Subject = strings.Join(strings.Fields(subject.String()), " ")
	if err := r.text.ExecuteTemplate(&text, m.Template+".text", v); err != nil {
		return Content{}, fmt.Errorf("render %s text of order %s: %w", m.Template, m.OrderID, err)
	}
	if err := r.html.ExecuteTemplate(&html, m.Template+".html", v); err != nil {
		return Content{}, fmt.Errorf("render %s html of order %s: %w", m.Template, m.OrderID, err)
	}
	return Content{Subject: v.Subject, Text: text.String(), HTML: html.String()}, nil
}
