// Command netio fetches weather pages with interchangeable concurrency
// strategies and measures how they differ.
//
// Usage:
//
//	netio weather [--strategy NAME] [--target BASE_URL] [--latency D] [STATION...]
//	netio serve [--addr 127.0.0.1:8080] [--seed N] [--latency D] [--jitter D]
//	netio bench [--strategy all|a,b] [--n N] [--concurrency C,…] [--latency D,…] [--count K] …
//	netio report RUN_DIR… [--out DIR] | --compare BASE NEW… | --trace FILE RUN_DIR
//	netio demo [NAME] [--quick] [--no-pause] [--svg FILE]
//	netio strategies
//
// Run "netio help" or "netio COMMAND --help" for details.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/netio-lab/netio/internal/serverproc"
)

func main() {
	// A copy of netio started to serve a lesson's mock server in a process
	// of its own (serverproc.StartMock) serves, then exits, here.
	serverproc.MaybeServe()
	os.Exit(exitCode(os.Stderr, run(os.Stdout, os.Stderr, os.Args[1:])))
}

// command is one subcommand: its one-line summary and what runs it. A
// hidden command is for netio's own child processes, not for people: help
// does not list it.
type command struct {
	summary string
	run     func(ctx context.Context, stdout, stderr io.Writer, args []string) error
	hidden  bool
}

// commands lists the subcommands in the order "netio help" shows them.
var commands = []struct {
	name string
	command
}{
	{"weather", command{"fetch current conditions for a few stations: the article's program", runWeather, false}},
	{"serve", command{"run the mock NOAA server until interrupted", runServe, false}},
	{"bench", command{"measure strategies side by side, each in a process of its own", runBench, false}},
	{"demo", command{"classroom lessons: a live experiment each, drawn as a timeline, its claim checked", runDemo, false}},
	{"report", command{"draw runs as one offline HTML page and Markdown with charts; compare runs", runReport, false}},
	{"merge", command{"put the shares of a run split over several machines (bench --segment) together, exactly", runMerge, false}},
	{"strategies", command{"list the fetch strategies, in teaching order", runStrategies, false}},
	{benchChildCommand, command{"measure one point of a bench (netio bench runs it)", runBenchChild, true}},
}

// run is the whole command, minus the process: it parses args, runs one
// subcommand and returns its error. Ctrl-C or SIGTERM cancels the context
// the subcommand runs under.
func run(stdout, stderr io.Writer, args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runContext(ctx, stdout, stderr, args)
}

func runContext(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	if len(args) == 0 {
		return usageErrorf("netio: no command given (valid: %s; run 'netio help')", strings.Join(commandNames(), ", "))
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return runHelp(ctx, stdout, stderr, rest)
	}
	for _, c := range commands {
		if c.name == name {
			return c.run(ctx, stdout, stderr, rest)
		}
	}
	return usageErrorf("netio: unknown command %q (valid: %s)", name, strings.Join(commandNames(), ", "))
}

func commandNames() []string {
	var names []string
	for _, c := range commands {
		if !c.hidden {
			names = append(names, c.name)
		}
	}
	return names
}

// runHelp prints the overview, or a command's own help.
func runHelp(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	if len(args) == 0 {
		printUsage(stdout)
		return nil
	}
	return runContext(ctx, stdout, stderr, []string{args[0], "--help"})
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, "netio: see and measure how network I/O concurrency strategies differ.\n\nUsage:\n  netio COMMAND [flags] [args]\n\nCommands:\n")
	for _, c := range commands {
		if !c.hidden {
			fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
		}
	}
	fmt.Fprint(w, "\nRun 'netio COMMAND --help' for a command's flags.\n")
}

// usageError marks a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// interruptError is an interrupt that says what it left behind: exit
// status 130, with its message instead of the plain "interrupted".
type interruptError struct{ msg string }

func (e *interruptError) Error() string { return e.msg }
func (e *interruptError) Unwrap() error { return context.Canceled }

func interruptedf(format string, args ...any) error {
	return &interruptError{fmt.Sprintf(format, args...)}
}

// exitCode prints err, if any, as one line on stderr and returns the exit
// status: 0 for success, 2 for a usage error, 130 for an interrupt and 1
// for anything else.
func exitCode(stderr io.Writer, err error) int {
	var usage *usageError
	switch {
	case err == nil:
		return 0
	case err == context.Canceled:
		fmt.Fprintln(stderr, "netio: interrupted")
		return 130
	case errors.Is(err, context.Canceled): // it says what the interrupt left
		fmt.Fprintln(stderr, oneLine(err.Error()))
		return 130
	case errors.As(err, &usage):
		fmt.Fprintln(stderr, oneLine(err.Error()))
		return 2
	}
	fmt.Fprintln(stderr, oneLine(err.Error()))
	return 1
}

// oneLine folds a message that spans lines (a child's stderr quoted in it,
// errors joined by errors.Join) into one, so that an error is always one
// line for the person and for a script that reads it.
func oneLine(msg string) string {
	msg = strings.ReplaceAll(strings.TrimSpace(msg), "\r\n", "\n")
	return strings.ReplaceAll(msg, "\n", " | ")
}
