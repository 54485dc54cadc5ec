package main

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// TestSplitRunInNetworkNamespaces is the split run across machines, made on
// one: the mock server in a network namespace of its own, each of three
// shares in another, joined by veth pairs to a bridge in the server's, so
// that every share reaches the server over a network link of its own and
// nothing over loopback. The shares start together (--start-at); merged,
// the closed run counts exactly what one unsplit run counts, with the
// shares' histograms added bucket by bucket, the open run's shares' rates
// add up to its rate within 2 %, and the merge's report renders.
func TestSplitRunInNetworkNamespaces(t *testing.T) {
	ns := newNamespaces(t, 3)
	srv := startServeProcess(t, ns.exec(ns.server), "10.77.0.1:8080")
	wraps := [][]string{ns.exec(ns.clients[0]), ns.exec(ns.clients[1]), ns.exec(ns.clients[2])}
	closed := splitRun{target: srv, shares: 3, wraps: wraps, args: []string{"--strategy", "pool", "--n", "600", "--concurrency", "30", "--latency", "2ms", "--count", "1"}}
	merged, whole, shares := closed.run(t)
	checkClosedMerge(t, merged, whole, shares)
	for i, f := range shares {
		if f.Settings.Segment == nil || f.Settings.Segment.Index != i {
			t.Errorf("share %d records segment %+v", i, f.Settings.Segment)
		}
	}
	open := splitRun{target: srv, shares: 3, wraps: wraps, args: []string{"--strategy", "epoll", "--mode", "open", "--rate", "300", "--duration", "2s", "--latency", "2ms", "--count", "1", "--concurrency", "30"}}
	merged, _, _ = open.run(t)
	checkOpenRate(t, merged, 300)
}

// namespaces are a server's network namespace and its clients', removed
// when the test ends.
type namespaces struct {
	server  string
	clients []string
}

// newNamespaces makes the server's namespace, with a bridge at
// 10.77.0.1/24, and n clients' (10.77.0.11, .12, …), each joined to the
// bridge by a veth pair. It skips the test, saying why, where namespaces
// cannot be made (not root: no CAP_NET_ADMIN; no ip command).
func newNamespaces(t *testing.T, n int) namespaces {
	t.Helper()
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipping: no ip command (iproute2) to make network namespaces")
	}
	if os.Geteuid() != 0 {
		t.Skip("skipping: network namespaces need root (CAP_NET_ADMIN); run the tests as root")
	}
	id := fmt.Sprintf("netio%d", os.Getpid()%100000)
	ns := namespaces{server: id + "s"}
	ip := func(args ...string) {
		t.Helper()
		if b, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, b)
		}
	}
	if b, err := exec.Command("ip", "netns", "add", ns.server).CombinedOutput(); err != nil {
		t.Skipf("skipping: cannot make a network namespace here (ip netns add: %v: %s)", err, b)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns.server).Run() })
	ip("-n", ns.server, "link", "set", "lo", "up")
	ip("-n", ns.server, "link", "add", "br0", "type", "bridge")
	ip("-n", ns.server, "addr", "add", "10.77.0.1/24", "dev", "br0")
	ip("-n", ns.server, "link", "set", "br0", "up")
	for i := range n {
		client := fmt.Sprintf("%sc%d", id, i)
		ip("netns", "add", client)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", client).Run() })
		peer := fmt.Sprintf("v%d", i)
		ip("-n", client, "link", "set", "lo", "up")
		ip("-n", client, "link", "add", "eth0", "type", "veth", "peer", "name", peer, "netns", ns.server)
		ip("-n", client, "addr", "add", fmt.Sprintf("10.77.0.%d/24", 11+i), "dev", "eth0")
		ip("-n", client, "link", "set", "eth0", "up")
		ip("-n", ns.server, "link", "set", peer, "master", "br0")
		ip("-n", ns.server, "link", "set", peer, "up")
		ns.clients = append(ns.clients, client)
	}
	return ns
}

// exec is the command prefix that runs a command in namespace name.
func (namespaces) exec(name string) []string { return []string{"ip", "netns", "exec", name} }
