package strategies

// TemperatureScanner finds the page's temperature in a body that arrives in
// pieces, as an event loop reads it, without keeping the whole page: the
// "process the page" step of ParseTemperature, made incremental. A reading
// may straddle two pieces ("3" then "7.9 F"); the scanner keeps the last
// bytes of each piece for that. It finds exactly what ParseTemperature finds
// on the whole body, for readings up to scanCarry bytes long.
//
// The zero value is ready. Reset readies it for the next page.
type TemperatureScanner struct {
	found   bool
	value   float64
	carry   []byte // the tail of the body so far, where a reading may have begun
	scratch []byte // carry + the next piece; reused
}

// scanCarry is how many bytes of one piece are kept for the next: longer
// than any temperature a page states ("-123.4 F" is 8).
const scanCarry = 64

// Write scans the next piece of the body. It never fails; the error is there
// so that a scanner can stand where an io.Writer is wanted.
func (s *TemperatureScanner) Write(p []byte) (int, error) {
	if s.found || len(p) == 0 {
		return len(p), nil
	}
	// Scan the carried tail with the new piece: a reading cut in two by the
	// read boundary is whole again here. The tail alone held no reading, or
	// the previous Write would have found it. With nothing carried (a page
	// that arrives in one read) the piece is scanned where it lies.
	piece := p
	if len(s.carry) > 0 {
		s.scratch = append(append(s.scratch[:0], s.carry...), p...)
		piece = s.scratch
	}
	if v, ok := ParseTemperature(piece); ok {
		s.found, s.value = true, v
		return len(p), nil
	}
	s.carry = append(s.carry[:0], piece[max(0, len(piece)-scanCarry):]...)
	return len(p), nil
}

// Temperature returns the reading, once found.
func (s *TemperatureScanner) Temperature() (float64, bool) { return s.value, s.found }

// Reset forgets the page, keeping the buffers.
func (s *TemperatureScanner) Reset() {
	s.found, s.value = false, 0
	s.carry, s.scratch = s.carry[:0], s.scratch[:0]
}
