package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tmuxSession runs netio (this test binary, as netio) in a detached tmux
// session of its own server, 80×24, and returns a way to read the screen
// (its history included) and to send keys. The command's exit status is
// written to the returned file when it ends, and the terminal's settings
// after it (stty -a) to that file's name plus ".stty".
func tmuxSession(t *testing.T, args ...string) (screen func() string, keys func(...string), status string) {
	t.Helper()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("no tmux on PATH: .ci/run installs it (apt-get install tmux)")
		}
		t.Skip("skipping: no tmux on PATH (apt-get install tmux)")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sock, status := filepath.Join(dir, "tmux.sock"), filepath.Join(dir, "status")
	shell := fmt.Sprintf("env %s=1 %s %s; echo $? > %s; stty -a > %s.stty; sleep 60", asNetioEnv, exe, strings.Join(args, " "), status, status)
	ctl := func(a ...string) string {
		out, err := exec.Command(tmux, append([]string{"-S", sock}, a...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v: %s", a, err, out)
		}
		return string(out)
	}
	ctl("new-session", "-d", "-x", "80", "-y", "24", shell)
	t.Cleanup(func() { exec.Command(tmux, "-S", sock, "kill-server").Run() })
	return func() string { return ctl("capture-pane", "-p", "-S", "-") }, func(k ...string) { ctl(append([]string{"send-keys"}, k...)...) }, status
}

// waitFor polls until ok or ten seconds have passed.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("gave up waiting for %s", what)
}

func exitStatus(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

// checkTerminalRestored fails the test unless the terminal was left in
// canonical mode with echo on, as the shell had it, after netio exited.
func checkTerminalRestored(t *testing.T, status string) {
	t.Helper()
	var stty string
	waitFor(t, "stty -a after netio", func() bool {
		b, _ := os.ReadFile(status + ".stty")
		stty = string(b)
		return strings.Contains(stty, "\n")
	})
	for _, flag := range strings.Fields(stty) {
		if flag == "-icanon" || flag == "-echo" {
			t.Errorf("terminal left with %s after netio exited:\n%s", flag, stty)
		}
	}
	if !strings.Contains(" "+strings.Join(strings.Fields(stty), " ")+" ", " icanon ") {
		t.Errorf("stty -a shows no icanon:\n%s", stty)
	}
}

// TestDemoLiveViewInTmux runs a lesson on a real terminal: the timeline is
// redrawn in place (each timeline's heading once on the final screen, not
// once per frame) and the command exits 0.
func TestDemoLiveViewInTmux(t *testing.T) {
	screen, _, status := tmuxSession(t, "demo", "waiting", "--no-pause", "--quick")
	waitFor(t, "the lesson to end", func() bool { return exitStatus(status) != "" })
	got := screen()
	if s := exitStatus(status); s != "0" {
		t.Fatalf("exit %s; screen:\n%s", s, got)
	}
	for _, heading := range []string{"perrequest: 3 of 3", "epoll: 3 of 3"} {
		if n := strings.Count(got, heading); n != 1 {
			t.Errorf("%q %d times on the screen; want once (frames drawn over each other):\n%s", heading, n, got)
		}
	}
	// The live frames are drawn over and cleared: none is left behind.
	if strings.Contains(got, ": running") {
		t.Errorf("a live frame left on the screen (a heading still \"running\"):\n%s", got)
	}
	if !strings.Contains(got, "connection 3") {
		t.Errorf("no lane rows on the screen:\n%s", got)
	}
}

// TestDemoTallFrameInTmux runs a lesson whose timelines are taller than
// the 24-row terminal (failures --quick: 25 rows): the live view shows its
// last rows, and the final picture each heading once, nothing left behind.
func TestDemoTallFrameInTmux(t *testing.T) {
	screen, _, status := tmuxSession(t, "demo", "failures", "--no-pause", "--quick")
	waitFor(t, "the lesson to end", func() bool { return exitStatus(status) != "" })
	got := screen()
	if s := exitStatus(status); s != "0" {
		t.Fatalf("exit %s; screen:\n%s", s, got)
	}
	for _, heading := range []string{"pool: 5 of 5", "epoll: 5 of 5", "gnet: 5 of 5", "fasthttp: 5 of 5"} {
		if n := strings.Count(got, heading); n != 1 {
			t.Errorf("%q %d times on the screen and its history; want once:\n%s", heading, n, got)
		}
	}
	if strings.Contains(got, ": running") || strings.Contains(got, "rows above") {
		t.Errorf("a live frame left on the screen:\n%s", got)
	}
}

// TestDemoCtrlCInTmux interrupts a lesson mid-run (failures waits a whole
// timeout on its hanging page): netio says so and exits 130.
func TestDemoCtrlCInTmux(t *testing.T) {
	screen, keys, status := tmuxSession(t, "demo", "failures", "--no-pause")
	waitFor(t, "the first rows", func() bool { return strings.Contains(screen(), "worker 1") })
	keys("C-c")
	waitFor(t, "netio to exit", func() bool { return exitStatus(status) != "" })
	if s, got := exitStatus(status), screen(); s != "130" || !strings.Contains(got, "interrupted") {
		t.Errorf("exit %s; want 130 and a line saying it was interrupted; screen:\n%s", s, got)
	}
	checkTerminalRestored(t, status)
}

// TestDemoQuitKeyInTmux presses q mid-run: the lesson stops, says so,
// exits 0, and leaves the terminal as it found it (the view reads keys in
// cbreak mode).
func TestDemoQuitKeyInTmux(t *testing.T) {
	screen, keys, status := tmuxSession(t, "demo", "failures", "--no-pause")
	waitFor(t, "the first rows", func() bool { return strings.Contains(screen(), "worker 1") })
	keys("q")
	waitFor(t, "netio to exit", func() bool { return exitStatus(status) != "" })
	if s, got := exitStatus(status), screen(); s != "0" || !strings.Contains(got, "stopped with q") {
		t.Errorf("exit %s; want 0 and a line saying q stopped it; screen:\n%s", s, got)
	}
	checkTerminalRestored(t, status)
}

// TestDemoBarsGrowInTmux watches the live view mid-run: a request
// still waiting is drawn as a bar of '-' (no end mark yet) before it is
// done, and one frame later longer than before.
func TestDemoBarsGrowInTmux(t *testing.T) {
	screen, _, status := tmuxSession(t, "demo", "waiting", "--no-pause")
	var first, later int
	waitFor(t, "a waiting bar", func() bool { first = longestWaitingBar(screen()); return first > 0 })
	waitFor(t, "the bar to grow", func() bool { later = longestWaitingBar(screen()); return later > first || exitStatus(status) != "" })
	if later <= first {
		t.Errorf("waiting bar %d columns, then %d; want it to grow while the request waits", first, later)
	}
	waitFor(t, "the lesson to end", func() bool { return exitStatus(status) != "" })
	if s := exitStatus(status); s != "0" {
		t.Errorf("exit %s; want 0", s)
	}
}

// longestWaitingBar is the most '-' in one lane row of the screen (rows
// are "lane N |…|"; a waiting bar is '-' with its page's name over it), 0
// if none.
func longestWaitingBar(screen string) int {
	most := 0
	for line := range strings.SplitSeq(screen, "\n") {
		if _, row, ok := strings.Cut(line, "|"); ok {
			most = max(most, strings.Count(row, "-"))
		}
	}
	return most
}
