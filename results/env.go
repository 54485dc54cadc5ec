package results

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Env is the machine and build a result was made on: what a reader needs
// to judge whether two results can be compared.
type Env struct {
	Date       string `json:"date"` // RFC 3339, UTC
	Host       string `json:"host"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	Kernel     string `json:"kernel"`
	CPUModel   string `json:"cpu_model"`
	Cores      int    `json:"cores"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	GoVersion  string `json:"go_version"`
	Commit     string `json:"commit"` // netio's git commit, "+dirty" when changed; "unknown" outside its checkout
}

// ReadEnv describes this machine and build now.
func ReadEnv() Env {
	host, _ := os.Hostname()
	return Env{
		Date:       time.Now().UTC().Format(time.RFC3339),
		Host:       host,
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		Kernel:     kernel(), // kernel_unix.go, kernel_windows.go
		CPUModel:   cpuModel(),
		Cores:      runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion:  runtime.Version(),
		Commit:     commit(),
	}
}

// cpuModel reads the first "model name" of /proc/cpuinfo: Linux only,
// "unknown" elsewhere.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown"
}

// commit is the build's VCS revision when the binary was built with it,
// else the HEAD of the netio checkout the command runs in. Builds here run
// with -buildvcs=false (go run, go test), hence the git fallback; it looks
// for netio's own go.mod so that running from another repository does not
// record that repository's commit.
func commit() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			return rev + dirtyMark(dirty)
		}
	}
	root := netioRoot()
	if root == "" {
		return "unknown"
	}
	out, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	status, _ := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output()
	return strings.TrimSpace(string(out)) + dirtyMark(len(bytes.TrimSpace(status)) > 0)
}

func dirtyMark(dirty bool) string {
	if dirty {
		return "+dirty"
	}
	return ""
}

// netioRoot walks up from the working directory to the folder whose go.mod
// declares netio's module, or returns "".
func netioRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module github.com/netio-lab/netio\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
