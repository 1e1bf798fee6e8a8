package smtp

import (
	"bytes"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"bookshop/communication"
)

// Message builds the RFC 5322 message of e: headers and a
// multipart/alternative body with its text and HTML parts, CRLF line endings.
func Message(from, to *mail.Address, e communication.Email) ([]byte, error) {
	var parts bytes.Buffer
	mw := multipart.NewWriter(&parts)
	for _, p := range []struct{ contentType, body string }{
		{"text/plain; charset=utf-8", e.Text},
		{"text/html; charset=utf-8", e.HTML},
	} {
		if err := writePart(mw, p.contentType, p.body); err != nil {
			return nil, fmt.Errorf("smtp email %s: %w", e.ID, err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("smtp email %s: close multipart: %w", e.ID, err)
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	var msg bytes.Buffer
	header := [][2]string{
		{"From", from.String()},
		{"To", to.String()},
		// Q-encoding also encodes any CR or LF, so the subject cannot add headers.
		{"Subject", mime.QEncoding.Encode("utf-8", e.Subject)},
		{"Date", e.SentAt.Format(time.RFC1123Z)},
		{"Message-ID", "<" + e.ID + "@" + domain + ">"},
		{"MIME-Version", "1.0"},
		{"Content-Type", "multipart/alternative; boundary=" + mw.Boundary()},
	}
	for _, h := range header {
		fmt.Fprintf(&msg, "%s: %s\r\n", h[0], h[1])
	}
	msg.WriteString("\r\n")
	msg.Write(parts.Bytes())
	return msg.Bytes(), nil
}

func writePart(mw *multipart.Writer, contentType, body string) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", contentType)
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	w, err := mw.CreatePart(h)
	if err != nil {
		return fmt.Errorf("create %s part: %w", contentType, err)
	}
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(body)); err != nil {
		return fmt.Errorf("write %s part: %w", contentType, err)
	}
	if err := qp.Close(); err != nil {
		return fmt.Errorf("close %s part: %w", contentType, err)
	}
	return nil
}
