//go:build browser

package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/server"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/internal/testnode"
)

// node is a livesell server on 127.0.0.1 with the embedded defaults.
type node struct {
	srv  *server.Server
	base string
}

func startNode(t testing.TB, tweak ...func(*config.Config)) *node {
	t.Helper()
	cfg := testnode.Config(t)
	cfg.Commerce.Sandbox = "on" // the buy walks pay in the sandbox
	for _, f := range tweak {
		f(&cfg)
	}
	srv, base := testnode.Start(t, cfg, testenv.Logger(t))
	return &node{srv: srv, base: base}
}

// call makes an API request and decodes a JSON answer into out (if not nil).
func (n *node) call(t testing.TB, method, path, token string, body, out any, hdr ...string) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, n.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	if resp.StatusCode >= 300 {
		t.Logf("%s %s → %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode
}

// mustCall is call that fails the test unless the status is 2xx.
func (n *node) mustCall(t testing.TB, method, path, token string, body, out any, hdr ...string) {
	t.Helper()
	if st := n.call(t, method, path, token, body, out, hdr...); st < 200 || st >= 300 {
		t.Fatalf("%s %s: status %d", method, path, st)
	}
}

// chromiumPath is Debian's chromium unless LIVESELL_CHROMIUM says otherwise.
func chromiumPath() string {
	if p := os.Getenv("LIVESELL_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// newBrowser starts one headless Chromium with a fresh profile, fake camera
// and microphone, and autoplay allowed; pages are tabs of it.
func newBrowser(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// The namespace has only loopback: let WebRTC gather candidates on
		// it, and show real host addresses instead of mDNS names nobody in
		// the namespace can resolve.
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("disable-features", "WebRtcHideLocalIpsWithMdns"),
		chromedp.Flag("mute-audio", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	opts = append(opts, extra...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	if err := chromedp.Do(browser); err != nil {
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("start chromium (%s): %v", chromiumPath(), err)
	}
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	return browser
}

// page is one browser tab.
type page struct {
	t    testing.TB
	ctx  context.Context
	name string
	logs *logBuffer
	// close closes the tab (idempotent; also run at cleanup).
	close func()
}

func newPage(t testing.TB, browser context.Context, name, url string) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	p := &page{t: t, ctx: ctx, name: name, logs: &logBuffer{}}
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("%s: open tab: %v", name, err)
	}
	stopped := listenConsole(ctx, name, p.logs)
	p.close = func() {
		cancel()
		<-stopped
	}
	t.Cleanup(p.close)
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("%s: navigate %s: %v", name, url, err)
	}
	return p
}

// run runs chromedp actions with a deadline.
func (p *page) run(timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(p.ctx, timeout)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// must runs actions and fails the test on error.
func (p *page) must(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := p.run(30*time.Second, actions...); err != nil {
		p.fail("%v", err)
	}
}

func (p *page) fail(format string, args ...any) {
	p.t.Helper()
	p.t.Fatalf("%s: %s\nconsole:\n%s", p.name, fmt.Sprintf(format, args...), strings.Join(p.logs.all(), "\n"))
}

// evalJS evaluates a JS expression (awaiting a promise) into a T.
func evalJS[T any](p *page, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// eval evaluates a JS expression (awaiting a promise) into out.
func (p *page) eval(expr string, out *any) error {
	v, err := evalJS[any](p, expr)
	*out = v
	return err
}

// waitFor polls the JS expression until it is truthy or timeout passes.
func (p *page) waitFor(timeout time.Duration, expr, what string) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	var last any
	var lastErr error
	for time.Now().Before(deadline) {
		var v any
		lastErr = p.eval(expr, &v)
		last = v
		if lastErr == nil && truthy(v) {
			return
		}
		time.Sleep(150 * time.Millisecond)
	}
	state, _ := evalJS[string](p, `JSON.stringify({url: location.href, ready: document.readyState, data: document.body && document.body.dataset, errors: [...document.querySelectorAll('[role=alert], .ls-status, .ls-checkout-msg')].map(e => e.textContent).filter(Boolean)})`)
	p.fail("timed out after %s waiting for %s (%s): last value %v, error %v; page %s", timeout, what, expr, last, lastErr, state)
}

func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0
	case string:
		return x != ""
	default:
		return true
	}
}

// number evaluates a numeric JS expression.
func (p *page) number(expr string) float64 {
	p.t.Helper()
	v, err := evalJS[float64](p, expr)
	if err != nil {
		p.fail("eval %s: %v", expr, err)
	}
	return v
}

// bool evaluates a boolean JS expression.
func (p *page) bool(expr string) bool {
	p.t.Helper()
	v, err := evalJS[bool](p, expr)
	if err != nil {
		p.fail("eval %s: %v", expr, err)
	}
	return v
}

// text evaluates a string JS expression.
func (p *page) text(expr string) string {
	p.t.Helper()
	v, err := evalJS[string](p, expr)
	if err != nil {
		p.fail("eval %s: %v", expr, err)
	}
	return v
}

// screenshot writes a PNG of the viewport (or, with full, the whole page)
// to testdata/screenshots/name.png.
func (p *page) screenshot(name string, full ...bool) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	shot := chromedp.CaptureScreenshot()
	if len(full) > 0 && full[0] {
		shot = chromedp.FullScreenshot(100)
	}
	buf, err := chromedp.Run(ctx, shot)
	if err != nil {
		p.t.Errorf("%s: screenshot: %v", p.name, err)
		return
	}
	dir := filepath.Join("testdata", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Errorf("screenshot dir: %v", err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		p.t.Errorf("screenshot: %v", err)
	}
}
