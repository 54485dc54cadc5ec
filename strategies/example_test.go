package strategies_test

import (
	"context"
	"fmt"
	"log"

	"github.com/netio-lab/netio/mockserver"
	"github.com/netio-lab/netio/strategies"
)

// Fetch three pages with a pool of two workers from the mock server, and
// print them in input order. done may run on several goroutines at once, so
// it only stores each result in its own slot: no lock is needed, because
// every index is written exactly once.
func Example() {
	srv, err := mockserver.Start(mockserver.Config{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	jobs := []strategies.Job{
		{Name: "New York", URL: srv.PageURL("KNYC")},
		{Name: "London", URL: srv.PageURL("EGLC")},
		{Name: "Tokyo", URL: srv.PageURL("RJTT")},
	}
	fetcher := strategies.NewPool(strategies.Config{Concurrency: 2})
	defer fetcher.Close()

	results := make([]strategies.Result, len(jobs))
	if err := fetcher.Fetch(context.Background(), strategies.JobList(jobs), func(r strategies.Result) { results[r.Index] = r }); err != nil {
		log.Fatal(err)
	}
	for i, r := range results {
		fmt.Printf("%s: %s F (%s)\n", jobs[i].Name, strategies.FormatTemperature(r.Temperature), r.Class)
	}
	// Output:
	// New York: 76.1 F (ok)
	// London: 46 F (ok)
	// Tokyo: 75 F (ok)
}
