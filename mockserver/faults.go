package mockserver

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// The fault kinds. Each can be injected with a probability per request
// (Model.Faults) or on demand (?fault=KIND).
const (
	FaultStatus        = "status"         // an error status: "status:503"; plain "status" is 503
	FaultReset         = "reset"          // RST before any response byte
	FaultResetMidBody  = "reset-mid-body" // headers and half the body, then RST
	FaultHang          = "hang"           // nothing, until the client gives up (bounded by MaxHang)
	FaultHangMidBody   = "hang-mid-body"  // headers and half the body, then nothing
	FaultTruncate      = "truncate"       // Content-Length promises more than is sent, then FIN
	FaultNoTemperature = "no-temperature" // a valid page without the temperature (sensor failure)
	FaultMalformed     = "malformed"      // a broken status line, then close
	FaultHugeHeader    = "huge-header"    // more than 64 KiB of headers before a normal response
	FaultSlowClose     = "slow-close"     // a close-delimited body whose close comes late
)

// FaultKinds lists every fault kind, for help texts and errors.
var FaultKinds = []string{
	FaultStatus, FaultReset, FaultResetMidBody, FaultHang, FaultHangMidBody,
	FaultTruncate, FaultNoTemperature, FaultMalformed, FaultHugeHeader, FaultSlowClose,
}

// fault is one parsed fault spec; code is the status for FaultStatus.
type fault struct {
	kind string
	code int
}

// parseFault reads "reset", "status" or "status:429".
func parseFault(spec string) (fault, error) {
	kind, arg, hasArg := strings.Cut(spec, ":")
	if !slices.Contains(FaultKinds, kind) {
		return fault{}, fmt.Errorf("unknown fault %q (valid: %s)", spec, strings.Join(FaultKinds, ", "))
	}
	if kind != FaultStatus {
		if hasArg {
			return fault{}, fmt.Errorf("fault %q takes no argument", kind)
		}
		return fault{kind: kind}, nil
	}
	code := 503
	if hasArg {
		n, err := strconv.Atoi(arg)
		if err != nil || n < 400 || n > 599 {
			return fault{}, fmt.Errorf("fault %q: want a status from 400 to 599, such as status:429", spec)
		}
		code = n
	}
	return fault{kind: FaultStatus, code: code}, nil
}

func (f fault) String() string {
	if f.kind == FaultStatus {
		return fmt.Sprintf("status:%d", f.code)
	}
	return f.kind
}

// faultTable is a Model's fault probabilities, parsed and in a fixed order,
// so that the same random number always picks the same fault.
type faultTable []struct {
	f fault
	p float64
}

// newFaultTable parses validated specs; a bad spec is skipped (Validate
// reports it first).
func newFaultTable(faults map[string]float64) faultTable {
	var t faultTable
	for _, s := range slices.Sorted(maps.Keys(faults)) {
		if f, err := parseFault(s); err == nil && faults[s] > 0 {
			t = append(t, struct {
				f fault
				p float64
			}{f, faults[s]})
		}
	}
	return t
}

// pick draws one number from r and returns the fault it lands on, if any.
// It always draws, so that the draws after it do not depend on the table.
func (t faultTable) pick(r *rand.Rand) (fault, bool) {
	u := r.Float64()
	for _, e := range t {
		if u < e.p {
			return e.f, true
		}
		u -= e.p
	}
	return fault{}, false
}
