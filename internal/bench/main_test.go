package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/netio-lab/netio/internal/bench"
	"github.com/netio-lab/netio/internal/leaktest"
	"github.com/netio-lab/netio/internal/serverproc"
	"github.com/netio-lab/netio/results"
)

// fakeChildEnv turns this test binary into a bench child when set, its value
// naming how the child behaves (see fakeChildren). Runner tests start the
// binary itself as the child, so that each way a child can fail is a few
// lines here rather than a program of its own to build.
const fakeChildEnv = "NETIO_BENCH_FAKE_CHILD"

// TestMain dispatches to the fake child before anything of the testing
// package runs: the child must not run tests, nor check for leaks.
func TestMain(m *testing.M) {
	serverproc.MaybeServe() // the mock server of serverproc.StartMock (hostile_linux_test.go)
	if mode, ok := os.LookupEnv(fakeChildEnv); ok {
		os.Exit(fakeChild(mode))
	}
	goleak.VerifyTestMain(m, leaktest.Options...)
}

// fakeChild plays the child in mode and returns its exit code.
func fakeChild(mode string) int {
	if mode == "ok" {
		// The real child, stopped by SIGTERM as `netio bench-child` is.
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		if err := bench.RunChild(ctx, os.Stdin, os.Stdout); err != nil {
			return 1
		}
		return 0
	}
	act, ok := fakeChildren[mode]
	if !ok {
		fmt.Fprintf(os.Stderr, "fake child: unknown mode %q\n", mode)
		return 2
	}
	// Read the spec as a real child does: the parent's write must find a reader.
	var spec bench.Spec
	if err := json.NewDecoder(os.Stdin).Decode(&spec); err != nil {
		fmt.Fprintf(os.Stderr, "fake child: %v\n", err)
		return 2
	}
	return act(spec, json.NewEncoder(os.Stdout))
}

// fakeChildren are the misbehaving children, by mode.
var fakeChildren = map[string]func(bench.Spec, *json.Encoder) int{
	"crash": func(_ bench.Spec, out *json.Encoder) int {
		out.Encode(bench.Message{Progress: &bench.Progress{Total: 10}})
		fmt.Fprintln(os.Stderr, "fake child: out of cheese")
		return 3
	},
	"hang": func(_ bench.Spec, out *json.Encoder) int {
		out.Encode(bench.Message{Progress: &bench.Progress{Total: 10}})
		return sleepForever()
	},
	// stall finishes one run, then hangs: what the parent got stays its.
	"stall": func(spec bench.Spec, out *json.Encoder) int {
		out.Encode(bench.Message{Run: fakeRun(spec, 1)})
		out.Encode(bench.Message{Progress: &bench.Progress{Done: 5, Total: 10}})
		return sleepForever()
	},
	// heartbeat is stuck but keeps saying so: progress that never moves
	// is not work, and must not keep the parent waiting.
	"heartbeat": func(_ bench.Spec, out *json.Encoder) int {
		for {
			out.Encode(bench.Message{Progress: &bench.Progress{Done: 3, Total: 10}})
			time.Sleep(50 * time.Millisecond)
		}
	},
	// chatter is stuck but prints lines that are no message: noise is not
	// news either.
	"chatter": func(_ bench.Spec, _ *json.Encoder) int {
		for {
			fmt.Println("retrying...")
			time.Sleep(50 * time.Millisecond)
		}
	},
	// stubborn hangs and ignores SIGTERM: only the parent's kill ends it.
	"stubborn": func(_ bench.Spec, out *json.Encoder) int {
		signal.Ignore(syscall.SIGTERM)
		out.Encode(bench.Message{Progress: &bench.Progress{Total: 10}})
		return sleepForever()
	},
	// mute closes its stdout and lingers: silent, without an end of messages
	// that would mean it is done.
	"mute": func(_ bench.Spec, out *json.Encoder) int {
		out.Encode(bench.Message{Progress: &bench.Progress{Total: 10}})
		os.Stdout.Close()
		return sleepForever()
	},
	"garbage": func(bench.Spec, *json.Encoder) int {
		fmt.Println("this is not JSON")
		return 0
	},
	"error": func(_ bench.Spec, out *json.Encoder) int {
		out.Encode(bench.Message{Error: "boom"})
		return 1
	},
	"short": func(spec bench.Spec, out *json.Encoder) int {
		out.Encode(bench.Message{Run: fakeRun(spec, 1)})
		return 0
	},
}

// fakeRun is a run of spec's point, with little else in it.
func fakeRun(spec bench.Spec, rep int) *results.Run {
	p := spec.Point()
	return &results.Run{Point: p, Repetition: rep, OK: p.N}
}

// sleepForever blocks without a deadlock the runtime would detect (a bare
// select{} in a process with no other goroutine is one).
func sleepForever() int {
	for {
		time.Sleep(time.Hour)
	}
}
