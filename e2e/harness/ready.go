package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// waitReady polls /readyz until it answers 200, the program exits, or the
// ready timeout passes.
func (s *Shop) waitReady(ctx context.Context, name string) error {
	p := s.procs[name]
	ctx, cancel := context.WithTimeout(ctx, s.readyTimeout)
	defer cancel()
	last := "no answer"
	for {
		status, body, err := s.get(ctx, name, "/readyz")
		switch {
		case err == nil && status == http.StatusOK:
			return nil
		case err == nil:
			last = fmt.Sprintf("%d %s", status, strings.TrimSpace(body))
		default:
			last = err.Error()
		}
		if !p.running() {
			return fmt.Errorf("%s exited before it was ready (%v); last lines of its log:\n%s", name, p.err, p.tail(20))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %v: last /readyz: %s", name, s.readyTimeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Ready reports a program's /readyz status code (0 if it did not answer).
func (s *Shop) Ready(ctx context.Context, name string) int {
	status, _, err := s.get(ctx, name, "/readyz")
	if err != nil {
		return 0
	}
	return status
}

// WaitReady waits until every running program answers /readyz with 200.
func (s *Shop) WaitReady(ctx context.Context) error {
	var errs []error
	for _, name := range Programs {
		if s.procs[name].running() {
			errs = append(errs, s.waitReady(ctx, name))
		}
	}
	return errors.Join(errs...)
}

func (s *Shop) get(ctx context.Context, name, path string) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL(name)+path, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := s.Client.HTTP.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(body), nil
}

// handedOut holds every address freeAddr gave in this test process: the
// kernel may offer a port again as soon as its probe closes, and shops of
// parallel tests (or two programs of one shop) must never share one.
var handedOut sync.Map

// freeAddr asks the kernel for a free loopback port not handed out before.
func freeAddr() (string, error) {
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", fmt.Errorf("find a free port: %w", err)
		}
		addr := ln.Addr().String()
		ln.Close()
		if _, taken := handedOut.LoadOrStore(addr, true); !taken {
			return addr, nil
		}
	}
	return "", errors.New("find a free port: 100 offers were all handed out already")
}
