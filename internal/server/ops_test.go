package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/server"
	"github.com/livesell/livesell/internal/testenv"
)

func get(t *testing.T, s *server.Server, path, token string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func errorCode(body string) string {
	var doc struct {
		Error struct{ Code, Message string }
	}
	json.Unmarshal([]byte(body), &doc)
	return doc.Error.Code
}

// TestMetricsNeedToken checks that /metrics on the public listener answers
// only the metrics token (or, while none is set, the admin token).
func TestMetricsNeedToken(t *testing.T) {
	for _, metricsToken := range []string{"", "metrics-token-0123456789abcdef0123456789"} {
		name := "admin token fallback"
		if metricsToken != "" {
			name = "metrics token"
		}
		t.Run(name, func(t *testing.T) {
			cfg := config.Default()
			cfg.DataDir = t.TempDir()
			cfg.Media.ICEInterfaces = []string{"lo"}
			cfg.MetricsToken = metricsToken
			s := newServerWith(t, cfg)
			good := metricsToken
			if good == "" {
				good = s.AdminToken()
			}
			tests := []struct {
				token  string
				status int
				code   string
			}{
				{"", http.StatusUnauthorized, "missing_token"},
				{"guess", http.StatusUnauthorized, "invalid_token"},
				{good, http.StatusOK, ""},
			}
			if metricsToken != "" {
				// With a metrics token, the admin token is not a scraper's credential.
				tests = append(tests, struct {
					token  string
					status int
					code   string
				}{s.AdminToken(), http.StatusUnauthorized, "invalid_token"})
			}
			for _, tt := range tests {
				status, body := get(t, s, "/metrics", tt.token)
				if status != tt.status || errorCode(body) != tt.code {
					t.Errorf("token %q: %d %s, want %d %q", tt.token, status, firstLine(body), tt.status, tt.code)
				}
				if status == http.StatusOK && !strings.Contains(body, "go_goroutines") {
					t.Errorf("metrics body has no go_goroutines: %s", firstLine(body))
				}
			}
		})
	}
}

// TestMetricsSeparateListener checks that with metrics-addr the public
// listener has no /metrics at all and the separate one serves it.
func TestMetricsSeparateListener(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Media.ICEInterfaces = []string{"lo"}
	cfg.MetricsAddr = "127.0.0.1:0"
	s := newServerWith(t, cfg)
	if status, body := get(t, s, "/metrics", s.AdminToken()); status != http.StatusNotFound {
		t.Fatalf("public /metrics: %d %s, want 404", status, firstLine(body))
	}
	resp, err := http.Get("http://" + s.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "go_goroutines") {
		t.Fatalf("separate /metrics: %d %s", resp.StatusCode, firstLine(string(body)))
	}
}

// TestReadyzNamesBackendNotError cuts the node off its (real) Redis and
// checks that /readyz answers 503 naming redis, without the driver's error
// text (addresses, ports), and recovers when Redis is back.
func TestReadyzNamesBackendNotError(t *testing.T) {
	target, err := url.Parse(testenv.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := newCutProxy(t, target.Host)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Media.ICEInterfaces = []string{"lo"}
	cfg.Store.Namespace = testenv.Namespace(t)
	cfg.Store.RedisURL = "redis://" + proxy.addr() + target.Path
	s := newServerWith(t, cfg)

	status, body := get(t, s, "/readyz", "")
	if status != http.StatusOK || !strings.Contains(body, `"payment_sandbox"`) {
		t.Fatalf("/readyz before the cut: %d %s", status, body)
	}
	proxy.cut()
	testenv.Eventually(t, 30*time.Second, func() bool {
		status, body = get(t, s, "/readyz", "")
		return status == http.StatusServiceUnavailable
	}, "/readyz stayed 200 with Redis cut off")
	var doc struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Error.Code != "not_ready" || doc.Error.Message != "not ready: redis" {
		t.Fatalf("/readyz = %s; want not_ready naming redis only", body)
	}
	for _, leak := range []string{proxy.addr(), "dial", "refused", "EOF", "i/o"} {
		if strings.Contains(body, leak) {
			t.Fatalf("/readyz leaks %q: %s", leak, body)
		}
	}
	proxy.restore()
	testenv.Eventually(t, 30*time.Second, func() bool {
		status, _ := get(t, s, "/readyz", "")
		return status == http.StatusOK
	}, "/readyz did not recover with Redis back")
}

// TestReadyzSaysPaymentSandbox checks that /readyz tells the operator when
// the sandbox payment provider (pay without money) is on.
func TestReadyzSaysPaymentSandbox(t *testing.T) {
	for _, mode := range []string{"on", "off"} {
		t.Run(mode, func(t *testing.T) {
			cfg := config.Default()
			cfg.DataDir = t.TempDir()
			cfg.Media.ICEInterfaces = []string{"lo"}
			cfg.Commerce.Sandbox = mode
			s := newServerWith(t, cfg)
			status, body := get(t, s, "/readyz", "")
			var doc struct {
				Status         string `json:"status"`
				PaymentSandbox *bool  `json:"payment_sandbox"`
			}
			if err := json.Unmarshal([]byte(body), &doc); err != nil || status != http.StatusOK || doc.PaymentSandbox == nil {
				t.Fatalf("/readyz: %d %s", status, body)
			}
			if *doc.PaymentSandbox != (mode == "on") {
				t.Fatalf("payment_sandbox = %v with payment-sandbox=%s", *doc.PaymentSandbox, mode)
			}
		})
	}
}

// TestStartupLogSaysPaymentSandbox checks the start-up log warns when the
// sandbox is on, and says payment_sandbox=false otherwise.
func TestStartupLogSaysPaymentSandbox(t *testing.T) {
	for _, mode := range []string{"on", "off"} {
		t.Run(mode, func(t *testing.T) {
			cfg := config.Default()
			cfg.DataDir = t.TempDir()
			cfg.Media.ICEInterfaces = []string{"lo"}
			cfg.Commerce.Sandbox = mode
			var logs syncBuffer
			s, err := server.New(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			_, stop, err := s.Start("127.0.0.1:0", 20*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			testenv.Eventually(t, 10*time.Second, func() bool {
				return strings.Contains(logs.String(), "livesell serving")
			}, "no start-up line")
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			out := logs.String()
			warned := strings.Contains(out, "level=WARN") && strings.Contains(out, "payment sandbox is on")
			if warned != (mode == "on") || !strings.Contains(out, "payment_sandbox="+strconv.FormatBool(mode == "on")) {
				t.Fatalf("payment-sandbox=%s, start-up log:\n%s", mode, out)
			}
		})
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newServerWith(t *testing.T, cfg config.Config) *server.Server {
	t.Helper()
	s, err := server.New(context.Background(), cfg, testenv.Logger(t))
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// cutProxy forwards TCP connections to a target until cut, which closes
// every connection and refuses new ones until restore.
type cutProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns []net.Conn
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go p.accept()
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

func (p *cutProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close() }()
		go func() { io.Copy(c, up); c.Close() }()
	}
}

func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *cutProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}
