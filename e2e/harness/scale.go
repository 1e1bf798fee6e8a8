package harness

import (
	"bufio"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// This file runs a shop the way issue 5 deploys it: a program upgraded on
// its own to a newly built binary, and a worker scaled by starting another
// copy of it.

// Upgrading one program -------------------------------------------------

// Binary is the executable a program's next start runs.
func (s *Shop) Binary(name string) (string, error) {
	p, err := s.proc(name)
	if err != nil {
		return "", err
	}
	return p.bin, nil
}

// SetBinary makes the next start of a stopped program run another
// executable: its ports, database, environment and log stay the same.
func (s *Shop) SetBinary(name, path string) error {
	p, err := s.proc(name)
	if err != nil {
		return err
	}
	if p.running() {
		return fmt.Errorf("set binary of %s: still running as pid %d; stop it first", name, p.cmd.Process.Pid)
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("set binary of %s: %w", name, err)
	}
	p.bin = path
	return nil
}

// Pid is the process id of a running program, 0 if it is not running.
func (s *Shop) Pid(name string) int {
	p, err := s.proc(name)
	if err != nil || !p.running() {
		return 0
	}
	return p.cmd.Process.Pid
}

// Executable is the file a running process was started from, as the
// kernel says (/proc/PID/exe).
func Executable(pid int) (string, error) {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return "", fmt.Errorf("read executable of pid %d: %w", pid, err)
	}
	return exe, nil
}

// BuildProgram builds one program from the repository at root into out,
// inside its own module like BuildAll, with the given -ldflags (e.g.
// "-X main.version=v2"): the flags are recorded in the binary's build
// information, which ReleaseOf reads back.
func BuildProgram(ctx context.Context, root, name, out, ldflags string) error {
	out, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	args := []string{"build", "-o", out}
	if ldflags != "" {
		args = append(args, "-ldflags="+ldflags)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "./cmd/"+name)...)
	cmd.Dir = filepath.Join(root, name)
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s into %s: %w\n%s", name, out, err, output)
	}
	return nil
}

// BuildFlags returns the -ldflags recorded in an executable's build
// information ("" when it was built without).
func BuildFlags(path string) (string, error) {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read build information of %s: %w", path, err)
	}
	for _, s := range info.Settings {
		if s.Key == "-ldflags" {
			return s.Value, nil
		}
	}
	return "", nil
}

// FileSum is the SHA-256 of a file, in hex.
func FileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Metrics -----------------------------------------------------------------

// Messages reads bookshop_messages_total from the /metrics of the process
// serving baseURL: the messages it consumed since it started, by
// "type/outcome" (ChargePayment/ok).
func (c *Client) Messages(ctx context.Context, baseURL string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s/metrics: %w", baseURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get %s/metrics: status %d", baseURL, resp.StatusCode)
	}
	return parseMessages(resp.Body)
}

// parseMessages picks the bookshop_messages_total samples out of the
// Prometheus text format.
func parseMessages(r io.Reader) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, "bookshop_messages_total{")
		if !ok {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok {
			return nil, fmt.Errorf("metrics line %q: no value", line)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return nil, fmt.Errorf("metrics line %q: %w", line, err)
		}
		l := promLabels(labels)
		out[l["type"]+"/"+l["outcome"]] += v
	}
	return out, sc.Err()
}

// promLabels parses `a="x",b="y"` (bookshop's label values hold no quotes
// or commas).
func promLabels(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if ok {
			out[strings.TrimSpace(k)] = strings.Trim(v, `"`)
		}
	}
	return out
}

// Handled sums the messages of an outcome ("ok", "retry", "dead_letter").
func Handled(counts map[string]float64, outcome string) float64 {
	var n float64
	for k, v := range counts {
		if strings.HasSuffix(k, "/"+outcome) {
			n += v
		}
	}
	return n
}

// Scaling a worker: another copy -------------------------------------------

// Copy is one more process of a program, beside the shop's own: same
// binary, environment, broker user and database files (competing consumers
// on the program's queue, taking turns at its SQLite files), its own HTTP
// port and log file. The shop's Shutdown does not know it: StartCopy stops
// it when the test ends.
type Copy struct {
	Name    string // "billing#2"
	Program string
	shop    *Shop
	p       *proc
	addr    string
}

// NewCopy prepares copy n (2, 3, ...) of a program without starting it.
func (s *Shop) NewCopy(program string, n int) (*Copy, error) {
	orig, err := s.proc(program)
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	key := strings.ToUpper(program) + "_HTTP_ADDR="
	env := slices.DeleteFunc(slices.Clone(orig.env), func(kv string) bool { return strings.HasPrefix(kv, key) })
	env = append(env, key+addr)
	name := fmt.Sprintf("%s#%d", program, n)
	return &Copy{
		Name: name, Program: program, shop: s, addr: addr,
		p: &proc{
			name: name, bin: orig.bin, dir: orig.dir, env: env,
			logPath: filepath.Join(s.Dir, fmt.Sprintf("%s-%d.log", program, n)),
		},
	}, nil
}

// StartCopy starts copy n of a program, waits until it is ready, and stops
// it (SIGTERM) when the test ends, printing its log if the test failed.
func (s *Shop) StartCopy(t testing.TB, program string, n int) *Copy {
	t.Helper()
	c, err := s.NewCopy(program, n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() && c.p.starts > 0 {
			t.Logf("--- last 60 lines of %s (%s) ---\n%s", c.Name, c.p.logPath, c.p.tail(60))
		}
		if c.p.running() {
			if err := c.p.stop(10 * time.Second); err != nil {
				t.Errorf("stop %s: %v", c.Name, err)
			}
		}
	})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Logf("started %s on %s", c.Name, c.addr)
	return c
}

// Start starts the copy and waits until its /readyz answers 200.
func (c *Copy) Start(ctx context.Context) error {
	if err := c.p.start(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.shop.readyTimeout)
	defer cancel()
	last := "no answer"
	for {
		status, err := c.ready(ctx)
		if err == nil && status == http.StatusOK {
			return nil
		}
		if err != nil {
			last = err.Error()
		} else {
			last = fmt.Sprint("status ", status)
		}
		if !c.p.running() {
			return fmt.Errorf("%s exited before it was ready (%v); last lines of its log:\n%s", c.Name, c.p.err, c.p.tail(20))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %v: last /readyz: %s", c.Name, c.shop.readyTimeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (c *Copy) ready(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL()+"/readyz", nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.shop.Client.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Kill sends SIGKILL to the copy and waits until it is gone.
func (c *Copy) Kill() error {
	if !c.p.running() {
		return errors.New("kill " + c.Name + ": not running")
	}
	return c.p.kill()
}

// Stop sends SIGTERM and requires exit status 0 within 10 s.
func (c *Copy) Stop() error { return c.p.stop(10 * time.Second) }

// Running reports whether the copy's process is alive.
func (c *Copy) Running() bool { return c.p.running() }

// Pid is the copy's process id, 0 when it is not running.
func (c *Copy) Pid() int {
	if !c.p.running() {
		return 0
	}
	return c.p.cmd.Process.Pid
}

// URL is the base URL of the copy's HTTP server.
func (c *Copy) URL() string { return "http://" + c.addr }

// LogPath is the copy's log file (all its runs).
func (c *Copy) LogPath() string { return c.p.logPath }
