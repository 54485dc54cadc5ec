package results

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchunit"
)

// Folder is a results folder being written: files go into a hidden staging
// folder beside the final one, which appears under its name only when
// Commit renames it, complete. A reader never sees half a result.
type Folder struct {
	parent, staging string
}

// Prepare makes parent if needed and a staging folder in it. Call it before
// any measurement: its error is how an unwritable --out is found early.
func Prepare(parent string) (*Folder, error) {
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("results: cannot create the results folder: %w", err)
	}
	staging, err := os.MkdirTemp(parent, ".netio-run-*")
	if err != nil {
		return nil, fmt.Errorf("results: cannot write in %s: %w", parent, errors.Unwrap(err))
	}
	return &Folder{parent: parent, staging: staging}, nil
}

// Commit writes run.json, bench.txt and latency.hlog and renames the staging folder to
// parent/name (name-2, name-3… if taken). It returns the final path. On
// error nothing is left behind.
func (f *Folder) Commit(name string, file File) (string, error) {
	if err := f.write("run.json", func(w io.Writer) error { return WriteJSON(w, file) }); err != nil {
		f.Abort()
		return "", err
	}
	if err := f.write("bench.txt", func(w io.Writer) error { return WriteBenchText(w, file) }); err != nil {
		f.Abort()
		return "", err
	}
	if err := f.write("latency.hlog", func(w io.Writer) error { return WriteHistogramLog(w, file) }); err != nil {
		f.Abort()
		return "", err
	}
	// MkdirTemp made the folder private (0700); results are for sharing.
	if err := os.Chmod(f.staging, 0o755); err != nil {
		f.Abort()
		return "", fmt.Errorf("results: %w", err)
	}
	for i := 1; ; i++ {
		final := filepath.Join(f.parent, name)
		if i > 1 {
			final = fmt.Sprintf("%s-%d", final, i)
		}
		// Rename would replace an empty folder of that name: skip taken names.
		if _, err := os.Stat(final); err == nil {
			continue
		}
		if err := os.Rename(f.staging, final); err != nil {
			f.Abort()
			return "", fmt.Errorf("results: cannot move results into place: %w", err)
		}
		return final, nil
	}
}

// Abort removes the staging folder and what is in it.
func (f *Folder) Abort() { os.RemoveAll(f.staging) }

// write creates one file in the staging folder.
func (f *Folder) write(name string, fill func(io.Writer) error) error {
	file, err := os.Create(filepath.Join(f.staging, name))
	if err == nil {
		err = fillFile(file, fill)
	}
	if err != nil {
		return fmt.Errorf("results: writing %s: %w", name, err)
	}
	return nil
}

// fillFile writes file through a buffer with fill, then syncs and closes
// it, whatever failed.
func fillFile(file *os.File, fill func(io.Writer) error) error {
	w := bufio.NewWriter(file)
	return firstError(fill(w), w.Flush(), file.Sync(), file.Close())
}

// WriteJSON writes file as indented JSON.
func WriteJSON(w io.Writer, file File) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(file)
}

// WriteFileAtomic writes to path what fill writes, through a temporary
// file in the same folder and a rename, so that path holds either the old
// content or all of the new.
func WriteFileAtomic(path string, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("results: cannot write %s: %w", path, errors.Unwrap(err))
	}
	if err = firstError(tmp.Chmod(0o644), fillFile(tmp, fill)); err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("results: writing %s: %w", path, err)
	}
	return nil
}

// CheckWritable reports whether a file can be created at path, by
// creating and removing a temporary file beside it: the check a command
// makes before a long run whose results would go there.
func CheckWritable(path string) error {
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return fmt.Errorf("results: %s is a folder", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("results: cannot write in %s: %w", filepath.Dir(path), errors.Unwrap(err))
	}
	tmp.Close()
	return os.Remove(tmp.Name())
}

// firstError returns the first non-nil error: the cause, where a join
// would print every consequence on lines of their own.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// WriteBenchText writes the runs in the Go benchmark format, one line per
// repetition, so that `benchstat old/bench.txt new/bench.txt` compares two
// folders directly: a "Unit … better=…" line per metric, the file's
// configuration (goos, goarch, pkg, cpu, commit, go, seed), then a result
// per run named by BenchName with the child's GOMAXPROCS as its -N suffix.
// The iteration count is the pass's requests, so ns/op is wall time per
// request. A run's line has every metric of Metrics that applies to it.
func WriteBenchText(w io.Writer, file File) error {
	bw := benchfmt.NewWriter(w)
	for _, m := range Metrics {
		_, tidy := benchunit.Tidy(1, m.Unit) // the key benchfmt's Reader makes: ns/op is sec/op
		unit := &benchfmt.UnitMetadata{
			UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: tidy, Key: "better"},
			OrigUnit:        m.Unit,
			Value:           string(m.Better),
		}
		if err := bw.Write(unit); err != nil {
			return err
		}
	}
	config := []benchfmt.Config{
		fileConfig("goos", file.Env.OS),
		fileConfig("goarch", file.Env.Arch),
		fileConfig("pkg", "github.com/netio-lab/netio"),
		fileConfig("cpu", file.Env.CPUModel),
		fileConfig("commit", file.Env.Commit),
		fileConfig("go", file.Env.GoVersion),
		fileConfig("seed", fmt.Sprint(file.Settings.Seed)),
	}
	for _, r := range file.Runs {
		if err := writeBenchRun(bw, config, r, ""); err != nil {
			return err
		}
	}
	// A merged run's shares, each as samples of its own (netio merge).
	for _, share := range file.shareRuns {
		for _, r := range share.runs {
			if err := writeBenchRun(bw, config, r, fmt.Sprintf("/segment=%d", share.segment.Index)); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeBenchRun writes one run's line, its name followed by suffix.
func writeBenchRun(bw *benchfmt.Writer, config []benchfmt.Config, r Run, suffix string) error {
	res := &benchfmt.Result{
		Config: config,
		Name:   benchfmt.Name(fmt.Sprintf("%s%s-%d", strings.TrimPrefix(BenchName(r.Point), "Benchmark"), suffix, r.GOMAXPROCS)),
		Iters:  max(r.N, 1),
	}
	for _, m := range Metrics {
		if v, ok := m.Value(r); ok {
			res.Values = append(res.Values, benchfmt.Value{Value: significant(v), Unit: m.Unit})
		}
	}
	return bw.Write(res)
}

func fileConfig(key, value string) benchfmt.Config {
	return benchfmt.Config{Key: key, Value: []byte(value), File: true}
}

// significant rounds v to 6 significant digits, more than any of the
// figures is good for, so that bench.txt stays readable.
func significant(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64) // FormatFloat's output always parses
	return r
}

// BenchName is a point's benchmark name, key=value per level as benchstat
// pivots them: BenchmarkFetch/strategy=epoll/latency=5ms/n=1000/c=100.
func BenchName(p Point) string {
	var b strings.Builder
	fmt.Fprintf(&b, "BenchmarkFetch/strategy=%s", p.Strategy)
	if p.Mode == ModeOpen {
		fmt.Fprintf(&b, "/mode=open/rate=%g/duration=%gs", p.Rate, p.DurationS)
	}
	fmt.Fprintf(&b, "/latency=%s", strings.TrimPrefix(p.LatencyModel, "fixed:"))
	if p.Mode != ModeOpen {
		fmt.Fprintf(&b, "/n=%d", p.N)
	}
	fmt.Fprintf(&b, "/c=%d", p.Concurrency)
	return b.String()
}
