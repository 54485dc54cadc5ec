// Package leaktest holds the goleak options every test package uses, so
// that the list of excused goroutines is written down once.
package leaktest

import "go.uber.org/goleak"

// Options excuse the goroutines a library leaves behind on purpose, and
// nothing else: fasthttp's client starts a cleaner per host and one per
// client, which sleep out their idle periods after the last connection
// closed and then end by themselves (docs/strategies/fasthttp.md); importing
// gnet starts its worker pool (ants), whose two housekeeping goroutines live
// as long as the process (docs/strategies/gnet.md).
var Options = []goleak.Option{
	goleak.IgnoreAnyFunction("github.com/panjf2000/ants/v2.(*poolCommon).purgeStaleWorkers"),
	goleak.IgnoreAnyFunction("github.com/panjf2000/ants/v2.(*poolCommon).ticktock"),
	goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*HostClient).connsCleaner"),
	goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*Client).mCleaner"),
}
