package serverproc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/netio-lab/netio/mockserver"
)

// envConfig names the environment variable that turns a test binary into
// a mock server: it holds the server's mockserver.Config as JSON.
const envConfig = "NETIO_SERVERPROC_MOCK"

// MaybeServe returns at once, unless this process was started by
// StartMock: then it runs the mock server configured in its environment,
// prints "netio mock NOAA server on URL" on stdout, serves until SIGINT or
// SIGTERM (or until its stdin ends, which is when the parent has died),
// and exits the process; it never returns.
//
// A test package that uses StartMock calls it first thing in TestMain:
//
//	func TestMain(m *testing.M) {
//		serverproc.MaybeServe()
//		os.Exit(m.Run())
//	}
func MaybeServe() {
	spec, ok := os.LookupEnv(envConfig)
	if !ok {
		return
	}
	os.Exit(serve(spec, os.Stdin, os.Stdout, os.Stderr))
}

// serve runs the server described by spec until a signal or the end of
// stdin, and returns the process's exit status.
func serve(spec string, stdin io.Reader, stdout, stderr io.Writer) int {
	var cfg mockserver.Config
	if err := json.Unmarshal([]byte(spec), &cfg); err != nil {
		fmt.Fprintf(stderr, "serverproc: %s: %v\n", envConfig, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// StartMock's parent holds the other end of stdin and writes nothing:
	// the end of it means the parent is gone without having closed us (a
	// test binary killed at its -timeout, say).
	ctx = StopOnEOF(ctx, stdin)
	srv, err := mockserver.Start(cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "netio mock NOAA server on %s\n", srv.URL())
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// StartMock runs the mock server with cfg in a child process: a copy of
// the running executable, which must call MaybeServe first (a test binary
// in its TestMain, netio in its main). It returns once the child serves, as Start does; the
// caller must Close the Proc. The child stops by itself if this process
// dies without closing it: it watches Start's lifeline on its stdin.
func StartMock(cfg mockserver.Config) (*Proc, error) {
	spec, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("serverproc: mock config: %w", err)
	}
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	// -test.run=^$: should TestMain not call MaybeServe, the copy runs no
	// test and exits at once, and Start says so instead of hanging.
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), envConfig+"="+string(spec))
	if _, set := os.LookupEnv("GORACE"); !set {
		// A -race binary sleeps a second on exit by default, to let late
		// reports out: it would make every Close take that second.
		cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=0")
	}
	p, err := Start(cmd)
	if err != nil {
		return nil, fmt.Errorf("%w (does TestMain call serverproc.MaybeServe first?)", err)
	}
	return p, nil
}
