package mockserver

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Overrides are what a page URL can ask of the mock server for that one
// request, in its query: the delay, a fault, the body's framing and pacing,
// as the serve command's flags of the same names do for every request.
// PageURL writes them into a URL; the server reads them back.
//
// The zero Overrides asks for nothing, and a zero field leaves the server's
// own setting alone. A number that must be sent as zero is given as a
// negative number instead, the way http.Cookie's MaxAge is: Latency: -1
// asks for no delay at all (?latency=0s), Rate: -1 for a body sent at once
// by a server that paces its bodies (?rate=0).
//
// Nothing is checked on the client's side: the server refuses a bad value,
// or two settings that contradict each other (Rate with Chunks), with a 400
// that names them.
type Overrides struct {
	// Latency is the delay before the first byte. Alone, with none of
	// Dist, Jitter and P99, it means "wait exactly Latency": the server
	// sets its delay distribution aside for the request and keeps only its
	// cap. With any of them it is the centre, mean or median of the
	// distribution they describe, and the server's other delay settings
	// stand (so set every one the distribution uses to be sure of it).
	Latency time.Duration
	Dist    string        // the distribution: fixed, uniform, normal, lognormal, pareto or two-level (see Distributions)
	Jitter  time.Duration // uniform: the half-width; normal: the standard deviation
	P99     time.Duration // lognormal, pareto: the 99th percentile
	Cap     time.Duration // no delay exceeds it (nor the server's MaxDelay, whatever it says)
	// two-level: the slow pages' delay and their share (0 to 1).
	Slow      time.Duration
	SlowShare float64

	Fault string // the fault to force, such as "reset" or "status:429" (see FaultKinds)

	Encoding   string        // the body's framing: length, chunked or close (see Body)
	Chunks     int           // the body in this many writes, ChunkPause apart; not with Rate
	ChunkPause time.Duration // the pause between two of the Chunks writes
	Rate       int           // the body paced at this many bytes a second; not with Chunks
	Split      string        // the response cut into writes: "header-body:20ms", "mid-header:20ms", "pieces:8:5ms" (see Body)
}

// PageURL is the URL of a station's HTML page on the mock server at base
// (such as "http://127.0.0.1:8080"; a trailing slash is dropped), with the
// query that asks for o: one parameter for each field set, in the order
// the server applies them (the delay's, the fault, the body's). The zero
// Overrides gives the plain page URL.
//
//	PageURL("http://127.0.0.1:8080", "KNYC", Overrides{Latency: 5 * time.Millisecond})
//	// http://127.0.0.1:8080/weather/current/KNYC.html?latency=5ms
func PageURL(base, icao string, o Overrides) string {
	u := strings.TrimSuffix(base, "/") + HTMLPath(icao)
	if q := o.query(); q != "" {
		u += "?" + q
	}
	return u
}

// The page query's parameters: the serve command's flags that make sense
// for one request, under the same names.
const (
	paramLatency    = "latency"
	paramTTFB       = "ttfb" // another name for latency
	paramDist       = "dist"
	paramJitter     = "jitter"
	paramP99        = "p99"
	paramCap        = "cap"
	paramSlow       = "slow"
	paramSlowShare  = "slow-share"
	paramFault      = "fault"
	paramChunked    = "chunked" // another name for body: chunked=1 is body=chunked, chunked=0 is body=length
	paramBody       = "body"
	paramChunks     = "chunks"
	paramChunkPause = "chunk-pause"
	paramRate       = "rate"
	paramSplit      = "split"
)

// queryOrder is the order in which the server applies the parameters,
// whatever their order in the query, and PageURL writes them: the delay's,
// then the fault, then the body's, the order in which a request meets them.
// As the server refuses parameters that contradict each other, all the
// order still decides is which of two bad values is reported; it is fixed
// so that the same query always gets the same answer, errors included.
var queryOrder = [...]string{
	paramLatency, paramTTFB, paramDist, paramJitter, paramP99, paramCap, paramSlow, paramSlowShare,
	paramFault,
	paramChunked, paramBody, paramChunks, paramChunkPause, paramRate, paramSplit,
}

// synonyms are the pairs of parameters that set the same thing: given
// together, they must agree.
var synonyms = [...]struct{ name, other, why string }{
	{paramLatency, paramTTFB, "ttfb is another name for latency"},
	{paramChunked, paramBody, "chunked=1 is body=chunked, chunked=0 is body=length"},
}

// setting is what a page query decides: the delay, the body, and the fault
// it forces (kind "" for none).
type setting struct {
	delay Delay
	body  Body
	fault fault
}

// applyQuery applies a page request's query (?latency=80ms&fault=reset) to
// the delay and body the request would otherwise get, and returns the
// fault it forces (kind "" for none). The parameters are applied in
// queryOrder. A bare ?latency=D means "wait exactly D". Unknown names are
// ignored (a cache-busting ?t=123 must not fail a request); a bad value, or
// parameters that contradict each other, is an error that names them, and
// leaves d and b as they were.
func applyQuery(raw string, d *Delay, b *Body, maxDelay time.Duration) (fault, error) {
	if raw == "" {
		return fault{}, nil
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return fault{}, fmt.Errorf("bad query: %v", err)
	}
	if err := agree(q); err != nil {
		return fault{}, err
	}
	s := setting{delay: *d, body: *b}
	if (q.Has(paramLatency) || q.Has(paramTTFB)) && !q.Has(paramDist) && !q.Has(paramJitter) && !q.Has(paramP99) && !q.Has(paramSlow) && !q.Has(paramSlowShare) {
		s.delay = Delay{Cap: d.Cap} // a bare ?latency=D means "wait exactly D"
	}
	for _, name := range queryOrder {
		if values := q[name]; len(values) > 0 {
			if err := s.read(name, values[0]); err != nil {
				return fault{}, err
			}
		}
	}
	if s.delay.Latency.D() > maxDelay || s.delay.P99.D() > maxDelay || s.delay.Slow.D() > maxDelay {
		return fault{}, fmt.Errorf("latency out of range [0, %v]", maxDelay)
	}
	if err := s.delay.validate("latency"); err != nil {
		return fault{}, err
	}
	if s.body.Rate > 0 && s.body.Chunks > 0 { // one the query's, the other the server's (agree saw to that)
		if q.Has(paramRate) {
			return fault{}, fmt.Errorf("rate=%d and the server's chunks=%d contradict each other (add chunks=0)", s.body.Rate, s.body.Chunks)
		}
		return fault{}, fmt.Errorf("chunks=%d and the server's rate=%d contradict each other (add rate=0)", s.body.Chunks, s.body.Rate)
	}
	if err := s.body.validate(); err != nil {
		return fault{}, err
	}
	*d, *b = s.delay, s.body
	return s.fault, nil
}

// queryCache remembers what applyQuery made of a query, for the delay and
// body it was applied to. A bench asks for every page with the same query
// (?latency=5ms), and parsing it, checking that its parameters agree and
// applying them in order on every request cost an epoll client 7 % of its
// requests a second at zero delay (medians of 8 alternated rounds, the
// same client: 88.5k against 95.4k req/s for the server before the checks;
// with the cache 99.9k against 98.7k).
// It holds at most maxCachedQueries entries; past that, queries are
// parsed every time. Safe for concurrent use.
type queryCache struct {
	m sync.Map // queryKey → queryResult
	n atomic.Int64
}

const maxCachedQueries = 1024

type queryKey struct {
	raw      string
	delay    Delay
	body     Body
	maxDelay time.Duration
}

type queryResult struct {
	delay Delay
	body  Body
	fault fault
	err   error
}

// apply is applyQuery, remembered.
func (c *queryCache) apply(raw string, d *Delay, b *Body, maxDelay time.Duration) (fault, error) {
	if raw == "" {
		return fault{}, nil
	}
	key := queryKey{raw, *d, *b, maxDelay}
	if v, ok := c.m.Load(key); ok {
		r := v.(queryResult)
		if r.err == nil {
			*d, *b = r.delay, r.body
		}
		return r.fault, r.err
	}
	f, err := applyQuery(raw, d, b, maxDelay)
	if c.n.Load() < maxCachedQueries {
		if _, loaded := c.m.LoadOrStore(key, queryResult{*d, *b, f, err}); !loaded {
			c.n.Add(1)
		}
	}
	return f, err
}

// agree checks that no two of the query's parameters contradict each
// other: a parameter given twice says the same both times (latency=1ms and
// latency=1000us agree), the two names of one setting say the same, and
// the body is paced by rate or by chunks, not both. It looks in a fixed
// order (repeats in queryOrder, then the two names of a setting, then the
// pacing), so that a query with several contradictions always gets the
// same error.
func agree(q url.Values) error {
	for _, name := range queryOrder {
		values := q[name]
		if len(values) < 2 {
			continue
		}
		for _, v := range values[1:] {
			if err := same(name, values[0], name, v, ""); err != nil {
				return err
			}
		}
	}
	for _, s := range synonyms {
		if q.Has(s.name) && q.Has(s.other) {
			if err := same(s.name, q.Get(s.name), s.other, q.Get(s.other), s.why); err != nil {
				return err
			}
		}
	}
	if q.Has(paramRate) && q.Has(paramChunks) {
		var s setting
		if err := s.read(paramRate, q.Get(paramRate)); err != nil {
			return err
		}
		if err := s.read(paramChunks, q.Get(paramChunks)); err != nil {
			return err
		}
		if s.body.Rate > 0 && s.body.Chunks > 0 {
			return contradiction(paramRate, q.Get(paramRate), paramChunks, q.Get(paramChunks), "pace the body by rate or by chunks, not both")
		}
	}
	return nil
}

// same returns an error naming both parameters unless name=v and
// other=w, each read alone, ask for the same thing.
func same(name, v, other, w, why string) error {
	var a, b setting
	if err := a.read(name, v); err != nil {
		return err
	}
	if err := b.read(other, w); err != nil {
		return err
	}
	if a.canonical() != b.canonical() {
		return contradiction(name, v, other, w, why)
	}
	return nil
}

// canonical is s with its spellings made one: an empty encoding is
// length, a split has its pause.
func (s setting) canonical() setting {
	s.body.Encoding = cmp.Or(s.body.Encoding, "length")
	if sp, err := parseSplit(s.body.Split); err == nil && sp.mode != "" {
		s.body.Split = fmt.Sprintf("%s:%d:%v", sp.mode, sp.pieces, sp.pause)
	}
	return s
}

// contradiction is the error for two parameters that contradict each
// other, such as "chunked=1 and body=close contradict each other".
func contradiction(name, v, other, w, why string) error {
	msg := param(name, v) + " and " + param(other, w) + " contradict each other"
	if why != "" {
		msg += " (" + why + ")"
	}
	return errors.New(msg)
}

// param spells name=v for a message, with v quoted if it needs it.
func param(name, v string) string {
	switch {
	case v == "":
		return name
	case strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r > '~' || r == '"' }):
		return name + "=" + strconv.Quote(v)
	}
	return name + "=" + v
}

// read applies one query parameter to s. Each value is checked here, so
// that a bad one is reported under the parameter's name; unknown names are
// ignored.
func (s *setting) read(name, v string) error {
	dur := func(target *Duration) error {
		x, err := time.ParseDuration(v)
		if err != nil || x < 0 {
			return fmt.Errorf("bad %s %q: want a duration such as 50ms", name, v)
		}
		*target = Duration(x)
		return nil
	}
	num := func(target *int) error {
		x, err := strconv.Atoi(v)
		if err != nil || x < 0 {
			return fmt.Errorf("bad %s %q: want a whole number", name, v)
		}
		*target = x
		return nil
	}
	switch name {
	case paramLatency, paramTTFB:
		return dur(&s.delay.Latency)
	case paramDist:
		if v != "" && !slices.Contains(Distributions, v) {
			return fmt.Errorf("bad dist %q: want one of %s", v, strings.Join(Distributions, ", "))
		}
		s.delay.Dist = v
	case paramJitter:
		return dur(&s.delay.Jitter)
	case paramP99:
		return dur(&s.delay.P99)
	case paramCap:
		return dur(&s.delay.Cap)
	case paramSlow:
		return dur(&s.delay.Slow)
	case paramSlowShare:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || !(x >= 0 && x <= 1) {
			return fmt.Errorf("bad %s %q: want a share from 0 to 1, such as 0.01", name, v)
		}
		s.delay.SlowShare = x
	case paramFault:
		f, err := parseFault(v)
		if err != nil {
			return err
		}
		s.fault = f
	case paramChunked:
		on, err := strconv.ParseBool(cmp.Or(v, "true"))
		if err != nil {
			return fmt.Errorf("bad chunked %q: want 1 or 0", v)
		}
		s.body.Encoding = "length"
		if on {
			s.body.Encoding = "chunked"
		}
	case paramBody:
		if v != "" && v != "length" && v != "chunked" && v != "close" {
			return fmt.Errorf("bad body %q: want length, chunked or close", v)
		}
		s.body.Encoding = v
	case paramChunks:
		return num(&s.body.Chunks)
	case paramChunkPause:
		return dur(&s.body.ChunkPause)
	case paramRate:
		return num(&s.body.Rate)
	case paramSplit:
		if _, err := parseSplit(v); err != nil {
			return fmt.Errorf("split: %w", err)
		}
		s.body.Split = v
	}
	return nil
}

// query is the query string that asks for o, parameters in queryOrder.
func (o Overrides) query() string {
	var b strings.Builder
	for _, name := range queryOrder {
		v := o.value(name)
		if v == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		// A colon needs no escape in a query, and split and fault values
		// read better with theirs.
		b.WriteString(name + "=" + strings.ReplaceAll(url.QueryEscape(v), "%3A", ":"))
	}
	return b.String()
}

// value is the value of the parameter name in a URL that asks for o, or ""
// to leave the parameter out. The second name of a setting (ttfb, chunked)
// has none: latency and body say it.
func (o Overrides) value(name string) string {
	dur := func(d time.Duration) string {
		switch {
		case d == 0:
			return ""
		case d < 0:
			return "0s"
		}
		return d.String()
	}
	num := func(n int) string {
		switch {
		case n == 0:
			return ""
		case n < 0:
			return "0"
		}
		return strconv.Itoa(n)
	}
	switch name {
	case paramLatency:
		return dur(o.Latency)
	case paramDist:
		return o.Dist
	case paramJitter:
		return dur(o.Jitter)
	case paramP99:
		return dur(o.P99)
	case paramCap:
		return dur(o.Cap)
	case paramSlow:
		return dur(o.Slow)
	case paramSlowShare:
		if o.SlowShare == 0 {
			return ""
		}
		return strconv.FormatFloat(o.SlowShare, 'g', -1, 64)
	case paramFault:
		return o.Fault
	case paramBody:
		return o.Encoding
	case paramChunks:
		return num(o.Chunks)
	case paramChunkPause:
		return dur(o.ChunkPause)
	case paramRate:
		return num(o.Rate)
	case paramSplit:
		return o.Split
	}
	return ""
}
