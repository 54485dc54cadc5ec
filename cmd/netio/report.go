package main

import (
	"context"
	"fmt"
	"io"

	"github.com/netio-lab/netio/report"
)

const reportSynopsis = `netio report RUN_DIR [RUN_DIR…] [--out DIR]
       netio report --compare BASE NEW [NEW…] [--out DIR]
       netio report --trace FILE.json RUN_DIR

Draws the runs of one or more netio bench folders as report.html (one
self-contained page: inline SVG and CSS, nothing fetched, printable) and
report.md with its charts as SVG files beside it. Runs of the same point in
several folders count as repetitions of one measurement.

--compare sets each NEW run against BASE, per strategy and point: the change
in req/s, p50, p99, CPU µs/req, context switches/req and B/req, with 95 %
confidence intervals and a Mann-Whitney U test over the repetitions
(benchstat's statistics); "~" where the change is not significant.

--trace writes the run's timelines in Chrome's trace-event format, a track
per lane, for Perfetto (ui.perfetto.dev) or chrome://tracing.`

func runReport(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("report")
	out := fs.String("out", "", "`folder` to write into (default: the first RUN_DIR; with --compare, NEW's)")
	compare := fs.Bool("compare", false, "compare: the first folder is the base, the others are set against it")
	trace := fs.String("trace", "", "write the timelines of RUN_DIR to this `file` in Chrome's trace-event format")
	dirs, help, err := parse(fs, args)
	switch {
	case err != nil:
		return err
	case help:
		printHelp(stdout, fs, reportSynopsis)
		return nil
	case len(dirs) == 0:
		return usageErrorf("netio report: no run folder given (netio report RUN_DIR; see --help)")
	case *compare && len(dirs) < 2:
		return usageErrorf("netio report: --compare needs a BASE folder and at least one NEW one")
	case *compare && *trace != "":
		return usageErrorf("netio report: --compare and --trace do not go together")
	}
	files, err := report.Load(dirs)
	if err != nil {
		return usageErrorf("netio %v", err)
	}
	var path string
	switch {
	case *trace != "":
		if err := report.WriteTrace(*trace, files); err != nil {
			return usageErrorf("netio %v", err)
		}
		path = *trace
	case *compare:
		if *out == "" {
			*out = dirs[len(dirs)-1]
		}
		path, err = report.WriteComparison(*out, dirs, files)
	default:
		if *out == "" {
			*out = dirs[0]
		}
		path, err = report.Write(*out, dirs, files)
	}
	if err != nil {
		return usageErrorf("netio %v", err)
	}
	fmt.Fprintln(stdout, path)
	return nil
}
