package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
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
	for {
		err := fs.Parse(args)
		switch {
		case errors.Is(err, flag.ErrHelp):
			return nil, true, nil
		case err != nil:
			// flag names itself "-x"; this command's help says "--x".
			msg := strings.ReplaceAll(firstLine(err.Error()), " -", " --")
			return nil, false, usageErrorf("%s: %s", fs.Name(), msg)
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, false, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
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
