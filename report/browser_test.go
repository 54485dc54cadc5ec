package report_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/netio-lab/netio/report"
)

// chromium finds the browser; CI installs Debian's chromium (.ci/run), so
// there a missing one is a failure, elsewhere a skip that says why.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on PATH: .ci/run installs it (apt-get install chromium)")
	}
	t.Skip("skipping: no chromium on PATH to open report.html in (apt-get install chromium)")
	return ""
}

// TestReportOpensOfflineInChromium opens report.html in headless Chromium
// with the network switched off: the page must ask for nothing, every
// chart must take up room, and a screenshot must show something.
func TestReportOpensOfflineInChromium(t *testing.T) {
	browser := chromium(t)
	page := filepath.Join(writeReport(t), report.HTMLFile)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.WindowSize(1200, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()

	var mu sync.Mutex
	var requests []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	offline := network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, offline); err != nil {
		t.Fatal(err)
	}
	run, stop := context.WithTimeout(ctx, 60*time.Second)
	defer stop()
	if err := chromedp.Do(run, chromedp.Navigate("file://"+page)); err != nil {
		t.Fatal(err)
	}
	boxes, err := chromedp.Run(run, chromedp.Evaluate[[][2]float64](
		`Array.from(document.querySelectorAll("figure.chart svg")).map(s => { const r = s.getBoundingClientRect(); return [r.width, r.height]; })`))
	if err != nil {
		t.Fatal(err)
	}
	if len(boxes) != 5 {
		t.Errorf("%d charts on the page; want 5", len(boxes))
	}
	for i, b := range boxes {
		if b[0] < 100 || b[1] < 50 {
			t.Errorf("chart %d is %.0f×%.0f px; want a real box", i, b[0], b[1])
		}
	}
	shot, err := chromedp.Run(run, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if share := inkShare(t, shot); share < 0.02 {
		t.Errorf("the screenshot is %.1f %% ink; want a page with charts on it", share*100)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, u := range requests {
		if !strings.HasPrefix(u, "file://"+page) {
			t.Errorf("the page asked for %s; want nothing but itself", u)
		}
	}
}

// inkShare is the fraction of a PNG's pixels that are not white.
func inkShare(t *testing.T, b []byte) float64 {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	bounds := img.Bounds()
	ink, all := 0, 0
	for y := bounds.Min.Y; y < bounds.Max.Y; y += 2 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 2 {
			r, g, b, _ := img.At(x, y).RGBA()
			all++
			if r < 0xF000 || g < 0xF000 || b < 0xF000 {
				ink++
			}
		}
	}
	return float64(ink) / float64(all)
}
