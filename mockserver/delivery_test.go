package mockserver

import (
	"testing"
	"time"
)

// TestHEADPlanIsHeadOnly: in every framing, paced or split, the plan of a
// HEAD response is its head and nothing more, so that a fault that cuts the
// body (truncate, reset-mid-body) has nothing of it to send either.
func TestHEADPlanIsHeadOnly(t *testing.T) {
	for _, enc := range []string{"", "length", "chunked", "close"} {
		for _, pacing := range []Body{{}, {Chunks: 4, ChunkPause: ms(1)}, {Rate: 100000}} {
			for _, split := range []string{"", "header-body:1ms", "mid-header:1ms", "pieces:4:1ms"} {
				b := pacing
				b.Encoding, b.Split = enc, split
				r := response{status: 200, body: []byte("Temperature: 1 F\n"), keepAlive: true, head: true}
				p := r.plan(b, time.Second)
				sent := 0
				for _, s := range p.segs {
					for _, buf := range s.bufs {
						sent += len(buf)
					}
				}
				if p.bodyLen != 0 || sent != p.headerLen {
					t.Errorf("HEAD with %+v: %d body bytes, %d bytes in all after a head of %d; want the head alone", b, p.bodyLen, sent, p.headerLen)
				}
			}
		}
	}
}
