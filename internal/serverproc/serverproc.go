// Package serverproc runs a server in a child process and finds its URL,
// so that what a client measures about its own process (getrusage CPU and
// context switches, OS threads) is not mixed with the server's
// (docs/results.md, "Measuring inside a Go process").
//
// Start runs any command that prints its http://host:port URL on standard
// output, such as `netio serve --addr 127.0.0.1:0`. StartMock runs the mock
// NOAA server in a copy of the running test binary, whose TestMain calls
// MaybeServe first.
package serverproc

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/netio-lab/netio/internal/tail"
)

// Timeouts of Start and Close. They are variables only so that this
// package's tests can shorten them.
var (
	// startTimeout bounds the wait for the child's URL.
	startTimeout = 10 * time.Second
	// closeTimeout is how long Close lets the child stop by itself after the
	// interrupt before it kills it.
	closeTimeout = 3 * time.Second
	// drainTimeout is how long, once the child has exited, its standard
	// output may stay open: a grandchild may hold it, and the reader must end.
	drainTimeout = time.Second
)

// urlPattern finds the server's address in a line of its output: a plain
// http URL with a port, the host a name, an IPv4 address or a bracketed
// IPv6 one.
var urlPattern = regexp.MustCompile(`http://(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]+`)

// Proc is a server running in a child process. Start one with Start or
// StartMock and stop it with Close.
type Proc struct {
	// URL is the first http://host:port URL the child printed on stdout,
	// without a path: where it serves.
	URL string

	cmd    *exec.Cmd
	name   string // for messages: the command's base name
	stderr *tail.Buffer

	exited  chan struct{} // closed by wait once the child has exited and its output is drained
	waitErr error         // cmd.Wait's error; written before exited is closed

	closeOnce sync.Once
	closeErr  error
}

// Start starts cmd and waits until it prints a line holding an
// http://host:port URL on its standard output, for at most 10 s. If the
// child exits first, or prints no URL in time (it is then killed), Start
// returns an error that ends with the last lines of the child's stderr.
//
// Start takes over cmd's standard output, which must be unset, and reads
// it for as long as the child runs, discarding what follows the URL, so
// that the child never blocks on a full pipe. cmd.Stderr, if set, still
// receives a copy of the child's stderr. A zero cmd.WaitDelay is set to
// one second, so that a grandchild holding stderr open cannot stall the
// wait for the child. On success the caller must Close the Proc.
//
// An unset cmd.Stdin becomes a lifeline: a pipe whose writing end only
// this process holds, so that it ends when this process dies, however it
// dies. A child that watches it (StopOnEOF) never outlives its parent.
func Start(cmd *exec.Cmd) (*Proc, error) {
	p := &Proc{cmd: cmd, name: filepath.Base(cmd.Path), stderr: &tail.Buffer{Max: 2048}, exited: make(chan struct{})}
	if cmd.Stdout != nil {
		return nil, fmt.Errorf("serverproc: start %s: cmd.Stdout is set; Start reads the child's stdout itself", p.name)
	}
	// Our own pipe rather than cmd.StdoutPipe: Wait closes that one as soon
	// as the child exits, which would race with reading it to the end.
	stdout, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("serverproc: start %s: %w", p.name, err)
	}
	cmd.Stdout = w
	cmd.Stderr = teeWriter(cmd.Stderr, p.stderr)
	if cmd.Stdin == nil {
		// exec keeps the writing end, writes nothing and closes it after Wait.
		if _, err := cmd.StdinPipe(); err != nil {
			stdout.Close()
			w.Close()
			return nil, fmt.Errorf("serverproc: start %s: %w", p.name, err)
		}
	}
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = time.Second
	}
	err = cmd.Start()
	w.Close() // the child has its own copy; ours would keep the pipe open after the child exits
	if err != nil {
		stdout.Close()
		return nil, fmt.Errorf("serverproc: start %s: %w", p.name, err)
	}
	urls := make(chan string, 1)
	read := make(chan struct{})
	go func() {
		defer close(read)
		readStdout(stdout, urls)
	}()
	go p.wait(stdout, read)
	if err := p.awaitURL(urls); err != nil {
		return nil, err
	}
	return p, nil
}

// StopOnEOF returns a context that also ends when r reaches its end (or
// fails): the parent holding the other end of the pipe closed it, or died
// (see Start's lifeline). The reading goroutine ends with r; a process that
// uses this exits right after.
func StopOnEOF(ctx context.Context, r io.Reader) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		io.Copy(io.Discard, r)
		cancel()
	}()
	return ctx
}

// awaitURL waits for the child's URL, its exit, or the start timeout,
// whichever comes first. It kills the child on a timeout.
func (p *Proc) awaitURL(urls <-chan string) error {
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case p.URL = <-urls:
		return nil
	case <-p.exited:
		// exited is closed only after the reader is done, so a URL the
		// child printed before it exited is waiting in urls: both cases
		// are ready, and select picks either.
		select {
		case p.URL = <-urls:
			return nil
		default:
		}
		return p.failure("exited before printing its URL", p.waitErr)
	case <-timer.C:
		p.cmd.Process.Kill()
		<-p.exited
		return p.failure(fmt.Sprintf("printed no http://host:port URL within %v", startTimeout), nil)
	}
}

// readStdout sends the first URL found in r on urls, then discards the
// rest of r until it ends.
func readStdout(r io.Reader, urls chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if u := urlPattern.FindString(sc.Text()); u != "" {
			urls <- u
			break
		}
	}
	// Also after a line too long for the scanner: whatever stops the
	// scanning, the pipe must keep being emptied.
	io.Copy(io.Discard, r)
}

// wait reaps the child, lets the stdout reader finish, and then closes
// p.exited. It is the only writer of p.waitErr.
func (p *Proc) wait(stdout *os.File, read <-chan struct{}) {
	p.waitErr = p.cmd.Wait()
	// The child is gone, but a grandchild may still hold the pipe: cut the
	// reader off after a while rather than leave it blocked for good.
	stdout.SetReadDeadline(time.Now().Add(drainTimeout))
	<-read
	stdout.Close()
	close(p.exited)
}

// Exited returns a channel that is closed once the child has exited, for
// whatever reason: a caller selects on it to notice a crashed server.
func (p *Proc) Exited() <-chan struct{} { return p.exited }

// Pid is the child's process ID: where a test reads what the server
// itself spends (/proc/PID/stat, /proc/PID/status, /proc/PID/fd).
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Close stops the child: it sends an interrupt (as Ctrl-C would), waits
// up to 3 s for the child to exit, kills it otherwise, and waits for it.
// Close blocks until the child has exited and its output is drained.
//
// Close returns nil if the child exited with status 0 because of the
// interrupt. It returns an error, ending with the child's stderr tail, if
// the child had already exited by itself (a crashed server), exited with a
// failure status, or had to be killed. Later calls return the same result.
func (p *Proc) Close() error {
	p.closeOnce.Do(func() { p.closeErr = p.stop() })
	return p.closeErr
}

func (p *Proc) stop() error {
	select {
	case <-p.exited:
		return p.failure("exited before Close", p.waitErr)
	default:
	}
	// An error here means the child exited in the meantime; p.exited
	// closes on its own then.
	p.cmd.Process.Signal(os.Interrupt)
	timer := time.NewTimer(closeTimeout)
	defer timer.Stop()
	select {
	case <-p.exited:
		if p.waitErr != nil {
			return p.failure("exited badly on interrupt", p.waitErr)
		}
		return nil
	case <-timer.C:
		p.cmd.Process.Kill()
		<-p.exited
		return p.failure(fmt.Sprintf("still running %v after an interrupt: killed", closeTimeout), nil)
	}
}

// failure builds an error saying what went wrong with the child, wrapping
// the cause err (nil when there is none), and ending with its stderr tail.
func (p *Proc) failure(what string, err error) error {
	var stderr string
	if s := p.stderr.String(); s != "" {
		stderr = "; stderr: " + s
	}
	if err == nil {
		return fmt.Errorf("serverproc: %s %s%s", p.name, what, stderr)
	}
	return fmt.Errorf("serverproc: %s %s: %w%s", p.name, what, err, stderr)
}

// teeWriter writes to both, or only to t when w is nil.
func teeWriter(w io.Writer, t *tail.Buffer) io.Writer {
	if w == nil {
		return t
	}
	return io.MultiWriter(w, t)
}
