package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/netio-lab/netio/strategies"
)

const strategiesSynopsis = "netio strategies\n\nLists every fetch strategy in teaching order, with what --concurrency means to it."

func runStrategies(_ context.Context, stdout, _ io.Writer, args []string) error {
	fs := newFlagSet("strategies")
	if helped, err := parseFlagsOnly(fs, args, stdout, strategiesSynopsis); helped || err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCONCURRENCY\tDESCRIPTION")
	for _, s := range strategies.All() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, s.Knob, s.Description)
	}
	return tw.Flush()
}
