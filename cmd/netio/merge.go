package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/netio-lab/netio/internal/bench"
	"github.com/netio-lab/netio/report"
	"github.com/netio-lab/netio/results"
)

const mergeSynopsis = `netio merge SHARE_DIR SHARE_DIR… --out DIR [--no-report]

Puts together the shares of one run split over several machines (each made
with netio bench --segment I/N, the same settings, ideally the same
--start-at) into one run folder, as if one machine had made the whole run:
counts add up, latency histograms merge exactly, rates add over the window
all shares ran in, and peaks (goroutines, threads, memory) are summed, with
each share's and the largest kept beside them, never averaged. Every share
must be there once; shares of different settings or netio builds are
refused, naming the difference. A SHARE_DIR is a share's run folder, or
the --out folder its bench wrote into when that holds just the one run.

DIR gets run.json, bench.txt (the merged runs, and each share's runs as
samples named …/segment=I), latency.hlog and, unless --no-report, the report
(report.html, report.md). See docs/scale-out.md.`

func runMerge(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("merge")
	out := fs.String("out", "", "the run `folder` to create for the merged run (it must not exist)")
	noReport := fs.Bool("no-report", false, "do not write report.html and report.md")
	dirs, help, err := parse(fs, args)
	switch {
	case err != nil:
		return err
	case help:
		printHelp(stdout, fs, mergeSynopsis)
		return nil
	case len(dirs) < 2:
		return usageErrorf("netio merge: want the folders of at least two shares, got %d", len(dirs))
	case *out == "":
		return usageErrorf("netio merge: --out DIR is required: the folder to create for the merged run")
	}
	*out = filepath.Clean(*out) // "merged/" names merged, not a folder in it
	if _, err := os.Stat(*out); err == nil {
		return usageErrorf("netio merge: --out %s exists already: name a new folder", *out)
	}
	shares := make([]results.File, len(dirs))
	for i, dir := range dirs {
		dirs[i] = runFolder(dir)
		if shares[i], err = results.ReadDir(dirs[i]); err != nil {
			return usageErrorf("netio merge: %s", strings.TrimPrefix(err.Error(), "results: "))
		}
	}
	merged, err := results.Merge(shares, dirs)
	if err != nil {
		return usageErrorf("netio merge: %s", strings.TrimPrefix(err.Error(), "results: merge: "))
	}
	merged.Command = append([]string{"netio"}, os.Args[1:]...)
	folder, err := results.Prepare(filepath.Dir(*out))
	if err != nil {
		return usageErrorf("netio merge: --out %s: %v", *out, bench.UnwrapPath(err))
	}
	dir, err := folder.Commit(filepath.Base(*out), merged)
	if err != nil {
		return fmt.Errorf("netio merge: %w", err)
	}
	results.WriteTable(stdout, merged)
	fmt.Fprintf(stdout, "\nMerged %d shares into %s (run.json, bench.txt, latency.hlog)\n", len(dirs), dir)
	if *noReport {
		return nil
	}
	path, err := report.Write(dir, []string{dir}, []results.File{merged})
	if err != nil { // the merged run is safe: say so
		fmt.Fprintf(stderr, "netio merge: no report (the merged run is in %s): %v\n", dir, err)
		return nil
	}
	fmt.Fprintf(stdout, "Report: %s\n", path)
	return nil
}

// runFolder is dir, or, when dir has no run.json but holds exactly one
// folder that has (a bench's --out with its one run in it), that folder.
func runFolder(dir string) string {
	if _, err := os.Stat(filepath.Join(dir, "run.json")); err == nil {
		return dir
	}
	var found []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "run.json")); e.IsDir() && err == nil {
			found = append(found, filepath.Join(dir, e.Name()))
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return dir
}
