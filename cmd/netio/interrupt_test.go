//go:build unix

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBenchSIGINT interrupts a real `netio bench` process (this test
// binary acting as netio) in the middle of its second point, as Ctrl-C
// does, and once more a moment later, while it cleans up. Either way:
// exit status 130, a message that counts the points kept, a run.json that
// holds exactly the completed point (not the interrupted one's passes),
// and no process left in any of the process groups the bench started
// (its mock server's and each child's).
func TestBenchSIGINT(t *testing.T) {
	for _, signals := range []int{1, 2} {
		t.Run("signals="+strconv.Itoa(signals), func(t *testing.T) {
			out := t.TempDir()
			cmd := exec.Command(os.Args[0], "bench", "--strategy", "pool,epoll,gnet", "--n", "200", "--concurrency", "4",
				"--latency", "10ms", "--count", "2", "--out", out)
			cmd.Env = append(os.Environ(), asNetioEnv+"=1")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			children := watchChildren(t, cmd.Process.Pid, 2) // until the second point's child runs
			if leaders := countLeaders(children); leaders < 3 {
				t.Fatalf("children seen: %v; want the server and two bench children, each leading a process group", children)
			}
			time.Sleep(300 * time.Millisecond) // into its passes
			cmd.Process.Signal(syscall.SIGINT)
			if signals == 2 {
				time.Sleep(30 * time.Millisecond)
				cmd.Process.Signal(syscall.SIGINT)
			}
			err := cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 130 {
				t.Fatalf("netio bench: %v; want exit status 130\nstderr: %s", err, stderr.String())
			}
			if want := "kept 1 completed point (2 runs)"; strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr %q; want one line saying %q", stderr.String(), want)
			}
			for _, c := range children {
				if err := syscall.Kill(c.pid, 0); !errors.Is(err, syscall.ESRCH) {
					t.Errorf("child %d (%s) still runs after netio bench exited (kill: %v)", c.pid, c.cmdline, err)
				}
				if c.pgid != c.pid {
					continue
				}
				if err := syscall.Kill(-c.pgid, 0); !errors.Is(err, syscall.ESRCH) {
					t.Errorf("process group %d (%s) still has processes after netio bench exited (kill: %v)", c.pgid, c.cmdline, err)
				}
			}
			dirs, _ := os.ReadDir(out)
			if len(dirs) != 1 {
				t.Fatalf("%d entries in --out; want one results folder", len(dirs))
			}
			file := readRunJSON(t, filepath.Join(out, dirs[0].Name(), "run.json"))
			if !file.Interrupted || len(file.Runs) != 2 || len(file.Summary) != 1 || len(file.Failures) != 0 {
				t.Fatalf("interrupted %v, %d runs, %d points, %d failures; want true, pool's 2 runs in 1 point, no failure",
					file.Interrupted, len(file.Runs), len(file.Summary), len(file.Failures))
			}
			for _, r := range file.Runs {
				if r.Strategy != "pool" || r.Verified != 200 {
					t.Errorf("run of %s, %d verified; want pool's, all 200", r.Strategy, r.Verified)
				}
			}
		})
	}
}

// watchChildren follows the children of the process pid until `want`
// bench children have been seen, and returns every child seen (the mock
// server, each bench child, and whatever else it ran), by pid.
func watchChildren(t *testing.T, pid, want int) map[int]childProc {
	t.Helper()
	seen := map[int]childProc{}
	// A child seen between its fork and its exec still has the parent's
	// command line: it is counted when it first shows its own, not when it
	// is first seen (counting on first sight missed such a child on a
	// loaded CI machine, and the test then interrupted the third point).
	benchChildren := map[int]bool{}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		for _, c := range childrenOf(pid) {
			if strings.Contains(c.cmdline, benchChildCommand) {
				benchChildren[c.pid] = true
			}
			seen[c.pid] = c
		}
		if len(benchChildren) >= want {
			return seen
		}
	}
	t.Fatalf("saw %d bench children of process %d in 30 s; want %d", len(benchChildren), pid, want)
	return nil
}

// countLeaders counts the children that lead a process group of their own.
func countLeaders(children map[int]childProc) int {
	n := 0
	for _, c := range children {
		if c.pgid == c.pid {
			n++
		}
	}
	return n
}

type childProc struct {
	pid, pgid int
	cmdline   string
}

// childrenOf lists the processes whose parent is pid, from /proc.
func childrenOf(pid int) []childProc {
	entries, _ := os.ReadDir("/proc")
	var out []childProc
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp …: comm may hold spaces, so split after its ')'.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 3 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		pgid, _ := strconv.Atoi(fields[2])
		if ppid != pid {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		out = append(out, childProc{p, pgid, strings.ReplaceAll(string(cmdline), "\x00", " ")})
	}
	return out
}
