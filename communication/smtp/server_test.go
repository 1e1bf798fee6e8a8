package smtp_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// received is one message a testServer accepted.
type received struct {
	auth, from, to string
	tls            bool
	data           string
}

// testServer is a tiny SMTP server: just enough of RFC 5321 for net/smtp.
type testServer struct {
	addr     string
	rcpt     string      // reply to RCPT; "250 OK" unless set
	mute     bool        // accept connections but never greet
	tlsConf  *tls.Config // offer STARTTLS when set
	mu       sync.Mutex
	messages []received
}

func startServer(t *testing.T, s *testServer) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); defer conn.Close(); s.serve(conn) }()
		}
	}()
	return s
}

func (s *testServer) got() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.messages...)
}

func (s *testServer) serve(conn net.Conn) {
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if s.mute {
		_, _ = bufio.NewReader(conn).ReadString(0) // until the client gives up
		return
	}
	tp := textproto.NewConn(conn)
	_ = tp.PrintfLine("220 test ESMTP ready")
	var cur received
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			s.ehlo(tp, cur.tls)
		case "STARTTLS":
			_ = tp.PrintfLine("220 go ahead")
			tc := tls.Server(conn, s.tlsConf)
			if tc.Handshake() != nil {
				return
			}
			conn, tp, cur.tls = tc, textproto.NewConn(tc), true
		case "AUTH":
			cur.auth = arg
			_ = tp.PrintfLine("235 authenticated")
		case "MAIL":
			cur.from = arg
			_ = tp.PrintfLine("250 OK")
		case "RCPT":
			cur.to = arg
			reply := "250 OK"
			if s.rcpt != "" {
				reply = s.rcpt
			}
			_ = tp.PrintfLine("%s", reply)
		case "DATA":
			if !s.data(tp, cur) {
				return
			}
		case "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("250 OK")
		}
	}
}

// data receives a message and records it with its envelope.
func (s *testServer) data(tp *textproto.Conn, cur received) bool {
	_ = tp.PrintfLine("354 end with .")
	data, err := tp.ReadDotBytes()
	if err != nil {
		return false
	}
	cur.data = string(data)
	s.mu.Lock()
	s.messages = append(s.messages, cur)
	s.mu.Unlock()
	_ = tp.PrintfLine("250 queued")
	return true
}

func (s *testServer) ehlo(tp *textproto.Conn, secure bool) {
	lines := []string{"test", "AUTH PLAIN", "8BITMIME"}
	if s.tlsConf != nil && !secure {
		lines = append(lines, "STARTTLS")
	}
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		_ = tp.PrintfLine("250%s%s", sep, l)
	}
}

// selfSigned returns a server TLS config for 127.0.0.1 and a client config
// that trusts it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	return server, &tls.Config{RootCAs: pool}
}

func decodePlain(t *testing.T, auth string) string {
	t.Helper()
	_, b64, _ := strings.Cut(auth, " ")
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("AUTH %q: %v", auth, err)
	}
	return string(raw)
}
