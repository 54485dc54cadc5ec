// Command hellohttp is the yardstick the mock server's capacity is measured
// against: the plainest net/http server there is, answering every request
// with the same small page. It is not part of netio's interface.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "host:port to listen on")
	flag.Parse()
	page := []byte("<html><body>Hello from net/http. Temperature: 46 F (8 C)</body></html>\n")
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("net/http hello on http://%s\n", ln.Addr()) // the line a parent waits for
	log.Fatal(http.Serve(ln, nil))
}
