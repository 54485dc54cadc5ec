package serverproc_test

import (
	"fmt"
	"log"
	"net/http"

	"github.com/netio-lab/netio/internal/serverproc"
	"github.com/netio-lab/netio/mockserver"
)

// A test or benchmark runs the mock server in a child process, so that
// getrusage in this one counts only the client. The package's TestMain
// calls serverproc.MaybeServe first, which is what the child runs.
func ExampleStartMock() {
	srv, err := serverproc.StartMock(mockserver.Config{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	client := &http.Client{}
	defer client.CloseIdleConnections()
	resp, err := client.Get(srv.URL + mockserver.HTMLPath("KNYC"))
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output: 200 OK
}
