package lessons

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Verdict is what a claim's check found.
type Verdict int

// The verdicts. The zero Verdict is unjudged: a claim made without one of
// the constructors below, which a test refuses.
const (
	Holds        Verdict = iota + 1 // the measurement is within the predicted bound
	Fails                           // it is not: the lesson says NO
	Inconclusive                    // this machine cannot judge it (Claim.Why says what it lacks)
)

// Claim is one prediction set beside its measurement. Its Predicted text
// and its verdict come from one value, a Bound (or, for a claim about an
// order or a set of names, the expected text), so the bound a student reads
// is the bound that was checked: make claims with NumberClaim, TextClaim or
// NotRun, never as literals.
type Claim struct {
	Statement string  // "perrequest takes about the longest delay"
	Predicted string  // written from Bound (or Want): "120–240 ms (≈ the longest wait, 120 ms)"
	Measured  string  // "121 ms"
	Verdict   Verdict // Holds, Fails or Inconclusive
	Why       string  // Inconclusive: what this machine lacks, shown to the student

	Bound *Bound  // a numeric claim's bound; nil for a text claim
	Value float64 // a numeric claim's measurement, rounded as printed, in Bound's unit
	Want  string  // a text claim's expected text
}

// Held reports whether the claim did not fail: it held, or this machine
// could not judge it.
func (c Claim) Held() bool { return c.Verdict == Holds || c.Verdict == Inconclusive }

// Bound is a numeric prediction: the range a measurement must fall in,
// in the unit it is printed with. Make one with AtLeast, AtMost, Within
// or Exactly; its ends are rounded to the digits it prints, when it is
// made, so that the number checked is the number shown.
type Bound struct {
	Lo, Hi float64 // inclusive ends; -Inf or +Inf for an open side
	Unit   string  // printed after each number: "ms", "%", "×", "goroutines"
	Digits int     // decimals printed, of the ends and of the measurement
	Note   string  // the reasoning, printed in brackets after the range: "≈ 63 % = 1 − 0.99^100"
}

// AtLeast is a bound with no upper end: "≥ 400 goroutines".
func AtLeast(lo float64, unit string, digits int) Bound {
	return Bound{Lo: round(lo, digits), Hi: math.Inf(1), Unit: unit, Digits: digits}
}

// AtMost is a bound with no lower end: "≤ 10 %".
func AtMost(hi float64, unit string, digits int) Bound {
	return Bound{Lo: math.Inf(-1), Hi: round(hi, digits), Unit: unit, Digits: digits}
}

// Within is a closed range: "120–240 ms".
func Within(lo, hi float64, unit string, digits int) Bound {
	return Bound{Lo: round(lo, digits), Hi: round(hi, digits), Unit: unit, Digits: digits}
}

// Exactly is one value: "4 pages".
func Exactly(v float64, unit string, digits int) Bound { return Within(v, v, unit, digits) }

// Because returns the bound with its reasoning, printed after the range.
func (b Bound) Because(note string) Bound {
	b.Note = note
	return b
}

// String is the predicted column: the range checked, then the reasoning.
func (b Bound) String() string {
	var s string
	switch {
	case b.Lo == b.Hi:
		s = b.Format(b.Lo)
	case math.IsInf(b.Lo, -1):
		s = "≤ " + b.Format(b.Hi)
	case math.IsInf(b.Hi, 1):
		s = "≥ " + b.Format(b.Lo)
	default:
		s = b.number(b.Lo) + "–" + b.Format(b.Hi)
	}
	if b.Note != "" {
		s += " (" + b.Note + ")"
	}
	return s
}

// Format prints a value as the bound prints its ends: "121 ms".
func (b Bound) Format(v float64) string {
	if b.Unit == "" {
		return b.number(v)
	}
	if b.Unit == "%" || b.Unit == "×" { // 6.2 %, 1.4×: as people write them
		sep := " "
		if b.Unit == "×" {
			sep = ""
		}
		return b.number(v) + sep + b.Unit
	}
	return b.number(v) + " " + b.Unit
}

func (b Bound) number(v float64) string { return strconv.FormatFloat(v, 'f', b.Digits, 64) }

// Contains reports whether v, rounded as printed, is within the bound.
func (b Bound) Contains(v float64) bool {
	v = round(v, b.Digits)
	return v >= b.Lo && v <= b.Hi
}

// round rounds v to digits decimals.
func round(v float64, digits int) float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	p := math.Pow10(digits)
	return math.Round(v*p) / p
}

// NumberClaim judges a measured value against a bound. detail, if any,
// follows the printed value in the measured column: "6.2× (812 ms → 131 ms)".
func NumberClaim(statement string, b Bound, value float64, detail string) Claim {
	c := Claim{Statement: statement, Predicted: b.String(), Bound: &b, Value: round(value, b.Digits), Verdict: Fails}
	c.Measured = b.Format(c.Value) // the value rounded as checked (FormatFloat would round a half to even)
	if detail != "" {
		c.Measured += " " + detail
	}
	if b.Contains(value) {
		c.Verdict = Holds
	}
	return c
}

// TextClaim judges a measured text (an order, a list of classes) against
// the text predicted: it holds when they are the same.
func TextClaim(statement, want, got string) Claim {
	c := Claim{Statement: statement, Predicted: want, Want: want, Measured: got, Verdict: Fails}
	if got == want {
		c.Verdict = Holds
	}
	return c
}

// Unjudged marks a failed claim inconclusive on this machine, saying why:
// the lesson measured first that the machine lacks what the claim needs (a
// free second core). A claim that held is left as it is: it held. Its
// prediction and measurement are shown either way.
func (c Claim) Unjudged(why string) Claim {
	if c.Verdict == Fails {
		c.Verdict, c.Why = Inconclusive, why
	}
	return c
}

// NotRun is the claim of a strategy this system cannot run: shown as
// inconclusive with the reason, never as a zero that looks measured.
func NotRun(strategy, reason string) Claim {
	return LeftOut(strategy+": not run on this system", reason)
}

// LeftOut is a claim the lesson did not run, and why: shown as
// inconclusive, never as held.
func LeftOut(statement, why string) Claim {
	return Claim{Statement: statement, Predicted: "-", Measured: "-", Verdict: Inconclusive, Why: why}
}

// Mark is the verdict as the claims table shows it.
func (v Verdict) Mark() string {
	switch v {
	case Holds:
		return "ok"
	case Fails:
		return "NO"
	case Inconclusive:
		return "?"
	}
	return "unjudged"
}

// Inconclusive lists the claims this machine could not judge, each as the
// line the student is shown.
func (o Outcome) Inconclusive() []string {
	var lines []string
	for _, c := range o.Claims {
		if c.Verdict == Inconclusive {
			lines = append(lines, fmt.Sprintf("%s: inconclusive on this machine: %s", c.Statement, strings.TrimSuffix(c.Why, ".")))
		}
	}
	return lines
}
