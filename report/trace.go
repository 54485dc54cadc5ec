package report

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"github.com/netio-lab/netio/results"
)

// traceEvent is one event of Chrome's trace-event format ("Trace Event
// Format", the JSON Perfetto and chrome://tracing open): a complete event
// ("X") for each request, metadata ("M") naming processes and threads.
type traceEvent struct {
	Name string         `json:"name"`
	Ph   string         `json:"ph"`
	Ts   float64        `json:"ts"`            // µs
	Dur  float64        `json:"dur,omitempty"` // µs
	Pid  int            `json:"pid"`
	Tid  int            `json:"tid"`
	Cat  string         `json:"cat,omitempty"`
	ID   string         `json:"id,omitempty"` // async events: the pair's id
	Args map[string]any `json:"args,omitempty"`
}

// WriteTrace writes the timelines of every run of files to path: a
// process per run (strategy, point, repetition), a thread per lane, a
// slice per request named by its result class; in an open run a "queued"
// async event before it, from its due time to its start.
func WriteTrace(path string, files []results.File) error {
	var events []traceEvent
	pid := 0
	for _, f := range files {
		for _, r := range f.Runs {
			pid++
			events = append(events, runTrace(pid, r)...)
		}
	}
	if pid == 0 {
		return fmt.Errorf("report: no runs to trace")
	}
	if err := results.CheckWritable(path); err != nil {
		return fmt.Errorf("report: --trace %s: %w", filepath.Base(path), err)
	}
	return results.WriteFileAtomic(path, func(w io.Writer) error {
		return json.NewEncoder(w).Encode(struct {
			TraceEvents     []traceEvent `json:"traceEvents"`
			DisplayTimeUnit string       `json:"displayTimeUnit"`
		}{events, "ms"})
	})
}

// runTrace is one run's events.
func runTrace(pid int, r results.Run) []traceEvent {
	lanes := r.Lanes
	if lanes == "" {
		lanes = "lane"
	}
	name := fmt.Sprintf("%s #%d", results.BenchName(r.Point), r.Repetition)
	events := []traceEvent{{Name: "process_name", Ph: "M", Pid: pid, Args: map[string]any{"name": name}}}
	named := map[int]bool{}
	for _, s := range r.Timeline {
		if !named[s.Lane] {
			named[s.Lane] = true
			events = append(events, traceEvent{Name: "thread_name", Ph: "M", Pid: pid, Tid: s.Lane, Args: map[string]any{"name": fmt.Sprintf("%s %d", lanes, s.Lane)}})
		}
		if s.AtMS != nil && *s.AtMS < s.StartMS {
			// Async events ("b"/"e", one id per job): waits overlap each
			// other and the lane's previous request, which complete
			// events on one track must not.
			id := fmt.Sprint(s.Index)
			events = append(events,
				traceEvent{Name: "queued", Ph: "b", Cat: "wait", ID: id, Pid: pid, Tid: s.Lane, Ts: *s.AtMS * 1000},
				traceEvent{Name: "queued", Ph: "e", Cat: "wait", ID: id, Pid: pid, Tid: s.Lane, Ts: s.StartMS * 1000})
		}
		events = append(events, traceEvent{Name: s.Class, Ph: "X", Cat: "request", Pid: pid, Tid: s.Lane,
			Ts: s.StartMS * 1000, Dur: max(s.EndMS-s.StartMS, 0.001) * 1000, Args: map[string]any{"job": s.Index}})
	}
	return events
}
