package harness

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// proc is one program run as its own OS process, in its own process group,
// with stdout and stderr appended to one log file across restarts.
type proc struct {
	name    string
	bin     string
	dir     string // working directory: the repository root
	env     []string
	logPath string
	starts  int

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, set before done closes
}

// start launches the process; it does not wait for readiness.
func (p *proc) start() error {
	if p.running() {
		return fmt.Errorf("start %s: already running as pid %d", p.name, p.cmd.Process.Pid)
	}
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log of %s: %w", p.name, err)
	}
	p.starts++
	fmt.Fprintf(logf, "=== harness: start #%d of %s at %s ===\n", p.starts, p.name, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.bin)
	cmd.Dir = p.dir
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	p.cmd, p.done = cmd, make(chan struct{})
	go func(done chan struct{}) {
		p.err = cmd.Wait()
		logf.Close()
		close(done)
	}(p.done)
	return nil
}

func (p *proc) running() bool {
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// signal sends sig to the process group, so that nothing the program
// started outlives it.
func (p *proc) signal(sig syscall.Signal) error {
	if !p.running() {
		return fmt.Errorf("signal %s: not running", p.name)
	}
	if err := syscall.Kill(-p.cmd.Process.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal %s (pid %d) with %v: %w", p.name, p.cmd.Process.Pid, sig, err)
	}
	return nil
}

// wait waits up to timeout for the process to exit and returns its exit
// error (nil for exit 0); exited is false on timeout.
func (p *proc) wait(timeout time.Duration) (exited bool, err error) {
	if p.done == nil {
		return true, nil
	}
	select {
	case <-p.done:
		return true, p.err
	case <-time.After(timeout):
		return false, nil
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() error {
	if !p.running() {
		return nil
	}
	if err := p.signal(syscall.SIGKILL); err != nil {
		return err
	}
	if exited, _ := p.wait(10 * time.Second); !exited {
		return fmt.Errorf("kill %s: still running 10s after SIGKILL", p.name)
	}
	return nil
}

// stop sends SIGTERM and requires exit status 0 within grace; past it, the
// process is killed and stop reports that.
func (p *proc) stop(grace time.Duration) error {
	if !p.running() {
		return fmt.Errorf("stop %s: not running (last exit: %v)", p.name, p.err)
	}
	if err := p.signal(syscall.SIGTERM); err != nil {
		return err
	}
	start := time.Now()
	exited, err := p.wait(grace)
	if !exited {
		kerr := p.kill()
		return errors.Join(fmt.Errorf("stop %s: still running %v after SIGTERM; killed", p.name, grace), kerr)
	}
	if err != nil {
		return fmt.Errorf("stop %s: exited after %v with %w (want exit status 0)", p.name, time.Since(start).Round(time.Millisecond), err)
	}
	return nil
}

// tail returns the last n lines of the program's log.
func (p *proc) tail(n int) string {
	f, err := os.Open(p.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > 4*n {
			lines = append(lines[:0], lines[len(lines)-n:]...)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
