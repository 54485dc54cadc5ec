package mockserver

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"
)

// Model is everything about how the server behaves that may change while it
// runs (PUT /config on the admin API swaps it whole): the delay before each
// response, how the body is delivered, which faults are injected and how
// often, the queue, and per-station overrides. The zero Model answers at
// once, with a Content-Length body in one write, and injects nothing.
//
// Its JSON form is the profile file format (see LoadProfile) and the admin
// API's; field names are part of that contract.
type Model struct {
	Delay  Delay              `json:"delay"`
	Body   Body               `json:"body"`
	Faults map[string]float64 `json:"faults,omitempty"` // fault spec ("reset", "status:503") → probability per request
	// QueueServers makes the delay depend on load: at most this many
	// requests are "in service" (waiting out their drawn delay) at once, and
	// the others queue for a slot first. 1 is a serial server. 0 means no
	// queue: every request waits only its own delay.
	QueueServers int `json:"queue_servers,omitempty"`
	// Stations overrides the delay or the faults for the stations it names
	// (by ICAO code).
	Stations map[string]Override `json:"stations,omitempty"`
}

// Override is a per-station change to the Model. A nil field keeps the
// Model's value.
type Override struct {
	Delay  *Delay             `json:"delay,omitempty"`
	Faults map[string]float64 `json:"faults,omitempty"`
}

// Delay is the distribution of the time to first byte: how long the server
// waits before it sends the status line. See latency.go for each
// distribution's parameters.
type Delay struct {
	Dist    string   `json:"dist,omitempty"`    // fixed (the default), uniform, normal, lognormal, pareto
	Latency Duration `json:"latency,omitempty"` // fixed: the delay; uniform: centre; normal: mean; lognormal, pareto: median
	Jitter  Duration `json:"jitter,omitempty"`  // uniform: half-width; normal: standard deviation
	P99     Duration `json:"p99,omitempty"`     // lognormal, pareto: 99th percentile
	Cap     Duration `json:"cap,omitempty"`     // no draw exceeds it; 0 means the server's MaxDelay
	// two-level: most pages take Latency (± Jitter, uniform), a share of
	// them Slow (Dean and Barroso's "1 in 100 is slow", lesson
	// tail-at-scale).
	Slow      Duration `json:"slow,omitempty"`
	SlowShare float64  `json:"slow_share,omitempty"` // 0 to 1
}

// Body says how a response body is framed and paced.
type Body struct {
	// Encoding frames the body: "length" (Content-Length, the default),
	// "chunked" (Transfer-Encoding: chunked) or "close" (no length: the
	// server closes the connection after the body).
	Encoding string `json:"encoding,omitempty"`
	// Rate paces the body at this many bytes per second; 0 sends it at once.
	Rate int `json:"rate,omitempty"`
	// Chunks sends the body in this many writes, ChunkPause apart. With the
	// chunked encoding each write is one HTTP chunk.
	Chunks     int      `json:"chunks,omitempty"`
	ChunkPause Duration `json:"chunk_pause,omitempty"`
	// Split cuts the response into separate TCP writes: "header-body:PAUSE"
	// (headers, pause, body), "mid-header:PAUSE" (the header cut in the
	// middle of a line) or "pieces:N:PAUSE" (the whole response in N
	// pieces). Empty sends the headers with the body.
	Split string `json:"split,omitempty"`
}

// Duration is a time.Duration that reads and writes as "50ms" in JSON.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalJSON writes the duration as a string such as "1.5s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "50ms" (or a plain number of nanoseconds, 0 included).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if json.Unmarshal(b, &n) != nil {
			return fmt.Errorf("want a duration such as \"50ms\", got %s", b)
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration such as \"50ms\", got %q", s)
	}
	*d = Duration(v)
	return nil
}

// Clone returns a deep copy: the admin API hands out copies, never the
// model the server is reading.
func (m Model) Clone() Model {
	m.Faults = maps.Clone(m.Faults)
	if m.Stations != nil {
		stations := make(map[string]Override, len(m.Stations))
		for code, o := range m.Stations {
			if o.Delay != nil {
				d := *o.Delay
				o.Delay = &d
			}
			o.Faults = maps.Clone(o.Faults)
			stations[strings.ToUpper(code)] = o
		}
		m.Stations = stations
	}
	return m
}

// Validate checks every field and names the first bad one.
func (m Model) Validate() error {
	if err := m.Delay.validate("delay"); err != nil {
		return err
	}
	if err := m.Body.validate(); err != nil {
		return err
	}
	if err := validateFaults("faults", m.Faults); err != nil {
		return err
	}
	if m.QueueServers < 0 {
		return fmt.Errorf("queue_servers: must not be negative, got %d", m.QueueServers)
	}
	for code, o := range m.Stations {
		field := "stations." + code
		if _, ok := LookupStation(code); !ok {
			return fmt.Errorf("%s: no station %q in the catalogue", field, code)
		}
		if o.Delay != nil {
			if err := o.Delay.validate(field + ".delay"); err != nil {
				return err
			}
		}
		if err := validateFaults(field+".faults", o.Faults); err != nil {
			return err
		}
	}
	return nil
}

func (b Body) validate() error {
	switch {
	case b.Encoding != "" && b.Encoding != "length" && b.Encoding != "chunked" && b.Encoding != "close":
		return fmt.Errorf("body.encoding: unknown encoding %q (valid: length, chunked, close)", b.Encoding)
	case b.Rate < 0:
		return fmt.Errorf("body.rate: must not be negative, got %d", b.Rate)
	case b.Chunks < 0:
		return fmt.Errorf("body.chunks: must not be negative, got %d", b.Chunks)
	case b.ChunkPause < 0:
		return fmt.Errorf("body.chunk_pause: must not be negative, got %v", b.ChunkPause.D())
	case b.Rate > 0 && b.Chunks > 0:
		return fmt.Errorf("body.rate and body.chunks: set one or the other, not both")
	}
	if _, err := parseSplit(b.Split); err != nil {
		return fmt.Errorf("body.split: %w", err)
	}
	return nil
}

func validateFaults(field string, faults map[string]float64) error {
	total := 0.0
	for spec, p := range faults {
		if _, err := parseFault(spec); err != nil {
			return fmt.Errorf("%s: %w", field, err)
		}
		if p < 0 || p > 1 {
			return fmt.Errorf("%s.%s: probability must be between 0 and 1, got %v", field, spec, p)
		}
		total += p
	}
	if total > 1+1e-9 {
		return fmt.Errorf("%s: probabilities add up to %v, more than 1", field, total)
	}
	return nil
}

// delayFor returns the delay distribution that applies to a station.
// (Its faults come from the compiled model: see compiled.faultsFor.)
func (m *Model) delayFor(icao string) Delay {
	if o, ok := m.Stations[icao]; ok && o.Delay != nil {
		return *o.Delay
	}
	return m.Delay
}
