package main

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/netio-lab/netio/mockserver"
)

const serveSynopsis = `netio serve [flags]

Runs the mock NOAA server until interrupted (Ctrl-C). Pages:
  /weather/current/{ICAO}.html                 current conditions, HTML
  /data/observations/metar/decoded/{ICAO}.TXT  decoded METAR record, text
  /stations                                    the station catalogue, JSON
Any page takes ?latency=D to ask for its own delay.`

func runServe(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("serve")
	var cfg mockserver.Config
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "`host:port` to listen on (loopback unless you name another interface)")
	fs.Int64Var(&cfg.Seed, "seed", 1, "seed of the observations and of the jitter")
	fs.DurationVar(&cfg.Latency, "latency", 0, "fixed delay before each page")
	fs.DurationVar(&cfg.Jitter, "jitter", 0, "uniform jitter: each delay is latency ± jitter")
	rest, help, err := parse(fs, args)
	switch {
	case err != nil:
		return err
	case help:
		printHelp(stdout, fs, serveSynopsis)
		return nil
	case len(rest) > 0:
		return usageErrorf("netio serve: takes no arguments, got %q", rest[0])
	case cfg.Latency < 0 || cfg.Jitter < 0:
		return usageErrorf("netio serve: --latency and --jitter must not be negative")
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return usageErrorf("netio serve: bad --addr %q: want host:port, such as 127.0.0.1:8080", cfg.Addr)
	}

	srv, err := mockserver.Start(cfg)
	if err != nil {
		return fmt.Errorf("netio serve: %w", err)
	}
	if !isLoopback(srv.Addr()) {
		fmt.Fprintf(stderr, "netio serve: warning: listening on %s, reachable from other machines\n", srv.Addr())
	}
	fmt.Fprintf(stdout, "netio mock NOAA server on %s (seed %d, latency %v ± %v)\n", srv.URL(), cfg.Seed, cfg.Latency, cfg.Jitter)
	fmt.Fprintf(stdout, "try: curl %s\n", srv.PageURL("KNYC"))
	<-ctx.Done()
	fmt.Fprintln(stdout, "netio serve: shutting down")
	return srv.Close()
}

func isLoopback(addr string) bool {
	host, _, _ := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
