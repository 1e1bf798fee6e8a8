package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"bookshop/e2e/harness"
)

// startShop starts the shop the bench measures (harness.StartLocal), with
// an HTTP client that keeps many connections: open loops hold many
// requests at once.
func startShop(ctx context.Context, cfg config, root string, log io.Writer) (*harness.Shop, func(), error) {
	shop, stop, err := harness.StartLocal(ctx, harness.LocalOptions{Root: root, BinDir: cfg.binDir,
		AMQPURL: cfg.amqpURL, Env: cfg.env, Keep: cfg.keep, Name: "bench", Log: log})
	if err != nil {
		return nil, nil, err
	}
	shop.Client.HTTP = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 2048, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 30 * time.Second,
	}}
	return shop, stop, nil
}

// meter reads the CPU time and peak memory of the five programs and the
// broker.
type meter struct {
	pids   map[string]int // program name, or "rabbitmq"
	broker int
}

func newMeter(ctx context.Context, shop *harness.Shop) (*meter, error) {
	m := &meter{pids: map[string]int{}}
	for _, name := range harness.Programs {
		pid, err := findProgram(filepath.Join(shop.BinDir, name), shop.AMQPURL)
		if err != nil {
			return nil, fmt.Errorf("find %s: %w", name, err)
		}
		m.pids[name] = pid
	}
	pid, err := brokerPID(ctx)
	if err != nil {
		return nil, err
	}
	m.broker = pid
	return m, nil
}

// names lists what the meter reads, in table order.
func (m *meter) names() []string {
	return append(harness.Programs[:len(harness.Programs):len(harness.Programs)], "rabbitmq", "bench")
}

// cpu reads each process's CPU time so far (bench: this process).
func (m *meter) cpu() map[string]time.Duration {
	out := map[string]time.Duration{"bench": selfCPU()}
	for name, pid := range m.pids {
		out[name], _ = procCPU(pid)
	}
	out["rabbitmq"], _ = procCPU(m.broker)
	return out
}

// resetPeaks starts each program's peak RSS over (not the broker's: it is
// not ours to touch).
func (m *meter) resetPeaks() {
	for _, pid := range m.pids {
		_ = resetPeak(pid) // without permission the peak is since start
	}
}

// peaks reads each program's peak RSS, in bytes.
func (m *meter) peaks() map[string]int64 {
	out := map[string]int64{}
	for name, pid := range m.pids {
		out[name], _ = peakRSS(pid)
	}
	return out
}

// published sums bookshop_outbox_published_total over the five programs:
// every message the shop sent through the broker.
func published(ctx context.Context, shop *harness.Shop) (counts, error) {
	var total counts
	for _, name := range harness.Programs {
		base := shop.URL(name) + "/metrics"
		msgs, err := scrape(ctx, shop.Client.HTTP, base, "bookshop_outbox_published_total")
		if err != nil {
			return counts{}, err
		}
		amqp, err := scrape(ctx, shop.Client.HTTP, base, "bookshop_amqp_published_total")
		if err != nil {
			return counts{}, err
		}
		total.msgs += msgs
		total.amqp += amqp
	}
	return total, nil
}

// counts are messages published: outbox messages, and the AMQP messages
// that carried them (fewer when packed).
type counts struct{ msgs, amqp float64 }

// scrape reads one unlabelled sample from a Prometheus text page.
func scrape(ctx context.Context, c *http.Client, url, metric string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), metric+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("scrape %s: no %s", url, metric)
}

// lockBroker takes the machine-wide broker lock of the e2e harness shared,
// as every shop of the tests does, so that a test restarting the broker's
// app (which holds it exclusive) waits for the bench instead of breaking
// it. The lock goes with the process.
func lockBroker(log io.Writer) (func(), error) {
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "bookshop-e2e-broker.lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, fmt.Errorf("open broker lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		fmt.Fprintln(log, "waiting for the broker lock (a test is restarting the broker)")
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
			f.Close()
			return nil, fmt.Errorf("take broker lock: %w", err)
		}
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
