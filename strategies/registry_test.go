package strategies_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/netio-lab/netio/strategies"
)

func TestRegistryTeachingOrder(t *testing.T) {
	// The first four are the goroutine strategies of the article's part 1,
	// from no concurrency to bounded concurrency; later issues append.
	want := []string{"sequential", "perrequest", "pool", "errgroup"}
	got := strategies.Names()
	if len(got) < len(want) {
		t.Fatalf("Names() = %v; want at least %v", got, want)
	}
	for i, name := range want {
		if got[i] != name {
			t.Errorf("Names()[%d] = %q; want %q", i, got[i], name)
		}
	}
}

func TestRegistryEntriesComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, info := range strategies.All() {
		if seen[info.Name] {
			t.Errorf("%s registered twice", info.Name)
		}
		seen[info.Name] = true
		if info.Description == "" || info.Knob == "" || info.New == nil {
			t.Errorf("%s: description %q, knob %q, New set %v; want all set", info.Name, info.Description, info.Knob, info.New != nil)
		}
		if strings.ContainsAny(info.Name, " -/=") {
			t.Errorf("%q: a name must be usable as a benchmark key value (no space, -, / or =)", info.Name)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, name := range strategies.Names() {
		info, err := strategies.Lookup(name)
		if err != nil || info.Name != name {
			t.Errorf("Lookup(%q) = %q, %v; want it found", name, info.Name, err)
		}
	}
	_, err := strategies.Lookup("threads")
	if err == nil {
		t.Fatal(`Lookup("threads") succeeded; want an error`)
	}
	for _, name := range strategies.Names() {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not list valid name %q", err, name)
		}
	}
}

func TestAllReturnsACopy(t *testing.T) {
	all := strategies.All()
	all[0].Name = "changed"
	if strategies.Names()[0] == "changed" {
		t.Error("changing All()'s result changed the registry")
	}
}

func TestInFlight(t *testing.T) {
	tests := []struct {
		name           string
		concurrency, n int
		want           int
	}{
		{"sequential", 100, 1000, 1},
		{"perrequest", 100, 1000, 1000},
		{"pool", 100, 1000, 100},
		{"pool", 100, 10, 10},
		{"epoll", 0, 1000, strategies.DefaultConcurrency},
		{"errgroup", 5, 0, 1},
	}
	for _, tt := range tests {
		info, err := strategies.Lookup(tt.name)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.InFlight(tt.concurrency, tt.n); got != tt.want {
			t.Errorf("%s.InFlight(%d, %d) = %d; want %d", tt.name, tt.concurrency, tt.n, got, tt.want)
		}
	}
}

// TestZeroValuesRefuseToFetch: a strategy's zero value holds no client or
// loop, so Fetch must say so (panic, naming the constructor) rather than
// return without calling done or crash on a nil pointer; Close on it is
// harmless. Every registered strategy has a row.
func TestZeroValuesRefuseToFetch(t *testing.T) {
	zeros := map[string]strategies.Fetcher{
		"sequential": &strategies.Sequential{},
		"perrequest": &strategies.PerRequest{},
		"pool":       &strategies.Pool{},
		"errgroup":   &strategies.Errgroup{},
		"epoll":      &strategies.Epoll{},
		"gnet":       &strategies.Gnet{},
		"fasthttp":   &strategies.FastHTTP{},
		"uring":      &strategies.URing{},
	}
	for _, name := range strategies.Names() {
		f, ok := zeros[name]
		if !ok {
			t.Errorf("%s: no zero value in this table; add the strategy's type", name)
			continue
		}
		if err := f.Close(); err != nil {
			t.Errorf("%s: Close on the zero value = %v; want nil", name, err)
		}
		got := panicOf(func() {
			f.Fetch(context.Background(), strategies.JobList{{URL: "http://127.0.0.1:1/"}}, func(strategies.Result) {})
		})
		if !strings.HasPrefix(got, "strategies: a zero ") || !strings.Contains(got, "New") {
			t.Errorf("%s: Fetch on the zero value panicked with %q; want a strategies: message naming the constructor", name, got)
		}
	}
}

// panicOf runs f and returns what it panicked with, "" if it did not.
func panicOf(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

// TestAvailable: every strategy runs on this Linux machine (or the test
// says which does not, and why); a strategy whose constructor reports it
// unavailable is reported so by Available, with its reason.
func TestAvailable(t *testing.T) {
	for _, info := range strategies.All() {
		if err := info.Available(); err != nil {
			t.Logf("%s: %v", info.Name, err)
			var u *strategies.UnavailableError
			if !errors.As(err, &u) || u.Reason == "" {
				t.Errorf("%s: %v; want an *UnavailableError with a reason", info.Name, err)
			}
		}
	}
	off := strategies.Info{Name: "off", New: func(strategies.Config) (strategies.Fetcher, error) {
		return nil, &strategies.UnavailableError{Strategy: "off", Reason: "not here"}
	}}
	if err := off.Available(); err == nil || !strings.Contains(err.Error(), "not here") {
		t.Errorf("Available() = %v; want the constructor's reason", err)
	}
}
