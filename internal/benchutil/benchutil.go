// Package benchutil holds the small helpers the measuring tools under
// internal/cmd share: finding a free port, waiting for a server to listen,
// and reading a figure out of a peer's report.
package benchutil

import (
	"fmt"
	"net"
	"regexp"
	"time"
)

// FreeAddr returns a loopback address with a port nothing listens on now.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// WaitListening waits up to five seconds for something to accept
// connections on addr.
func WaitListening(addr string) error {
	for range 200 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	return fmt.Errorf("nothing listening on %s after 5 s", addr)
}

// Find returns the first submatch of pattern in s, or "".
func Find(s, pattern string) string {
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}
