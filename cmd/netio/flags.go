package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// newFlagSet returns a flag set that reports errors instead of printing
// them, so that a bad flag becomes one line and exit status 2. -h and
// --help are understood without being defined: flag.Parse returns
// flag.ErrHelp for them.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("netio "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses flags that may come before, between or after the positional
// arguments (netio weather KNYC --strategy pool), and returns the positional
// ones. help reports whether -h or --help was given: the caller prints its
// help and exits 0.
func parse(fs *flag.FlagSet, args []string) (positional []string, help bool, err error) {
	// "--" ends the flags: what follows is positional, even "-x".
	var afterDashDash []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, afterDashDash = args[:i], args[i+1:]
	}
	for {
		err := fs.Parse(args)
		switch {
		case errors.Is(err, flag.ErrHelp):
			return nil, true, nil
		case err != nil:
			return nil, false, usageErrorf("%s: %s", fs.Name(), dashDash(firstLine(err.Error())))
		}
		args = fs.Args()
		if len(args) == 0 {
			return append(positional, afterDashDash...), false, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// flagName matches the flag package's "-name" in its messages.
var flagName = regexp.MustCompile(`(not defined: |for flag |needs an argument: )-+`)

// dashDash rewrites the flag package's "flag -latency" as "flag --latency",
// as this command's help spells flags.
func dashDash(msg string) string {
	return flagName.ReplaceAllString(msg, "${1}--")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// parseFlagsOnly parses a command that takes flags and no arguments. It
// prints the help on -h or --help and reports helped, so that the caller
// returns at once; a stray argument is a usage error naming it.
func parseFlagsOnly(fs *flag.FlagSet, args []string, stdout io.Writer, synopsis string) (helped bool, err error) {
	rest, help, err := parse(fs, args)
	switch {
	case err != nil:
		return false, err
	case help:
		printHelp(stdout, fs, synopsis)
		return true, nil
	case len(rest) > 0:
		return false, usageErrorf("%s: takes no arguments, got %q", fs.Name(), rest[0])
	}
	return false, nil
}

// givenFlags is the set of flags given on the command line, by name: for
// the settings whose zero value is meaningful, or that a profile supplies
// unless the command line does.
func givenFlags(fs *flag.FlagSet) map[string]bool {
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	return given
}

// printHelp writes a command's synopsis and its flags.
func printHelp(w io.Writer, fs *flag.FlagSet, synopsis string) {
	fmt.Fprintf(w, "Usage: %s\n", synopsis)
	if flagCount(fs) > 0 {
		fmt.Fprint(w, "\nFlags:\n")
	}
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		if name != "" {
			name = " " + name
		}
		def := ""
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "0s" && f.DefValue != "false" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "  --%s%s\n        %s%s\n", f.Name, name, usage, def)
	})
}

func flagCount(fs *flag.FlagSet) int {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n
}

// intList is a comma-separated list of integers flag.
type intList []int

func (l *intList) String() string { return joinList(*l, strconv.Itoa) }
func (l *intList) Set(s string) error {
	return setList(s, (*[]int)(l), func(p string) (int, error) {
		n, err := strconv.Atoi(p)
		if err != nil {
			return 0, fmt.Errorf("want whole numbers such as 1,10,100, got %q", p)
		}
		return n, nil
	})
}

// floatList is a comma-separated list of numbers flag.
type floatList []float64

func (l *floatList) String() string {
	return joinList(*l, func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) })
}
func (l *floatList) Set(s string) error {
	return setList(s, (*[]float64)(l), func(p string) (float64, error) {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return 0, fmt.Errorf("want numbers such as 100,1000, got %q", p)
		}
		return v, nil
	})
}

// durationList is a comma-separated list of durations flag.
type durationList []time.Duration

func (l *durationList) String() string { return joinList(*l, time.Duration.String) }
func (l *durationList) Set(s string) error {
	return setList(s, (*[]time.Duration)(l), func(p string) (time.Duration, error) {
		d, err := time.ParseDuration(p)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("want durations such as 0,10ms,50ms, got %q", p)
		}
		return d, nil
	})
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// setList parses a comma-separated list; a flag given again replaces it.
func setList[T any](s string, into *[]T, parse func(string) (T, error)) error {
	var out []T
	for p := range strings.SplitSeq(s, ",") {
		v, err := parse(strings.TrimSpace(p))
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	*into = out
	return nil
}

func joinList[T any](l []T, format func(T) string) string {
	parts := make([]string, len(l))
	for i, v := range l {
		parts[i] = format(v)
	}
	return strings.Join(parts, ",")
}
