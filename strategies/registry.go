package strategies

import (
	"errors"
	"fmt"
	"strings"
)

// Info describes one registered strategy.
type Info struct {
	// Name is the strategy's name on the command line and in results.
	Name string
	// Description says in one line what the strategy does.
	Description string
	// Knob says what Config.Concurrency means to this strategy.
	Knob string
	// Lane says what a Result.Lane of this strategy numbers: what carries
	// its requests ("worker", "connection", …), for a timeline's rows.
	Lane string
	// Hedges reports whether the strategy honours Config.HedgeAfter (the
	// net/http ones do); the others refuse a Config that sets it.
	Hedges bool
	// SeesReads reports whether the strategy reads and parses responses
	// itself, and so calls Config.OnRead after each read (the event
	// loops); the others read inside their HTTP client.
	SeesReads bool
	// New builds the strategy. The caller closes the result with Close.
	New func(Config) (Fetcher, error)
	// inFlight is how many requests the strategy has in flight at most for
	// a Concurrency and a batch size; nil means min(concurrency, jobs).
	inFlight func(concurrency, jobs int) int
}

// InFlight is the most requests the strategy has in flight at once for a
// batch of jobs with Config.Concurrency set to concurrency (zero: the
// default): the C of a closed workload's ideal time ⌈N/C⌉·latency.
func (i Info) InFlight(concurrency, jobs int) int {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	if i.inFlight != nil {
		return i.inFlight(concurrency, jobs)
	}
	return max(1, min(concurrency, jobs))
}

// registry lists every strategy once, in teaching order: from no
// concurrency, through goroutines, to event loops.
var registry = []Info{
	{
		Name:        "sequential",
		Hedges:      true,
		Description: "one request after another on one goroutine: the baseline",
		Knob:        "ignored (always 1)",
		Lane:        "caller",
		inFlight:    func(int, int) int { return 1 },
		New:         func(c Config) (Fetcher, error) { return NewSequential(c), nil },
	},
	{
		Name:        "perrequest",
		Hedges:      true,
		Description: "a goroutine per request, all at once: the article's thread per request",
		Knob:        "ignored (one goroutine per job)",
		Lane:        "goroutine",
		inFlight:    func(_, jobs int) int { return max(1, jobs) },
		New:         func(c Config) (Fetcher, error) { return NewPerRequest(c), nil },
	},
	{
		Name:        "pool",
		Hedges:      true,
		Description: "a fixed crew of worker goroutines taking jobs in turn: the thread pool",
		Knob:        "number of workers",
		Lane:        "worker",
		New:         func(c Config) (Fetcher, error) { return NewPool(c), nil },
	},
	{
		Name:        "errgroup",
		Hedges:      true,
		Description: "x/sync errgroup with SetLimit: a goroutine per request, a bounded number at once",
		Knob:        "goroutines alive at once",
		Lane:        "goroutine slot",
		New:         func(c Config) (Fetcher, error) { return NewErrgroup(c), nil },
	},
	{
		Name:        "epoll",
		SeesReads:   true,
		Description: "one goroutine, non-blocking sockets and an epoll loop on x/sys/unix: the article's select/poll",
		Knob:        "requests in flight in the loop",
		Lane:        "connection",
		New:         noHedging("epoll", func(c Config) (Fetcher, error) { return newOrError(NewEpoll(c)) }),
	},
	{
		Name:        "gnet",
		SeesReads:   true,
		Description: "gnet v2 event loops call a handler back with the data: the article's Twisted reactor",
		Knob:        "requests in flight across the loops",
		Lane:        "request slot",
		New:         noHedging("gnet", func(c Config) (Fetcher, error) { return newOrError(NewGnet(c)) }),
	},
	{
		Name:        "fasthttp",
		Description: "valyala/fasthttp's client from a fixed crew of workers: pooled objects, its own parser",
		Knob:        "number of workers",
		Lane:        "worker",
		New:         noHedging("fasthttp", func(c Config) (Fetcher, error) { return NewFastHTTP(c), nil }),
	},
	{
		Name:        "uring",
		SeesReads:   true,
		Description: "one goroutine and io_uring: the kernel connects, sends and receives, and reports each done: the article's asynchronous I/O",
		Knob:        "requests in flight in the ring",
		Lane:        "connection",
		New:         noHedging("uring", func(c Config) (Fetcher, error) { return newOrError(NewURing(c)) }),
	},
}

// Available reports whether the strategy can run on this system: nil, or
// the *UnavailableError its constructor gives (epoll off Linux, uring
// where io_uring is missing or forbidden). It builds the strategy once and
// closes it again.
func (i Info) Available() error {
	f, err := i.New(Config{Concurrency: 1})
	var u *UnavailableError
	if errors.As(err, &u) {
		return u
	}
	if f != nil {
		f.Close()
	}
	return nil
}

// noHedging refuses a Config with HedgeAfter for a strategy that does not
// hedge, naming the ones that do, rather than ignore it.
func noHedging(name string, build func(Config) (Fetcher, error)) func(Config) (Fetcher, error) {
	return func(c Config) (Fetcher, error) {
		if c.HedgeAfter > 0 {
			return nil, fmt.Errorf("strategies: %s does not hedge requests (the net/http strategies do: sequential, perrequest, pool, errgroup)", name)
		}
		return build(c)
	}
}

// newOrError turns a constructor's (*T, error) into (Fetcher, error), so
// that a failed constructor yields a nil Fetcher, not a typed nil.
func newOrError[T Fetcher](f T, err error) (Fetcher, error) {
	if err != nil {
		return nil, err
	}
	return f, nil
}

// All returns every registered strategy in teaching order. The slice is a
// copy: changing it changes nothing here.
func All() []Info {
	return append([]Info(nil), registry...)
}

// Names returns the registered names in teaching order.
func Names() []string {
	names := make([]string, len(registry))
	for i, s := range registry {
		names[i] = s.Name
	}
	return names
}

// Lookup finds a strategy by name. Its error names the valid choices.
func Lookup(name string) (Info, error) {
	for _, s := range registry {
		if s.Name == name {
			return s, nil
		}
	}
	return Info{}, fmt.Errorf("strategies: unknown strategy %q (valid: %s)", name, strings.Join(Names(), ", "))
}
