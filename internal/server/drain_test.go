package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/testenv"
)

// POST /api/admin/drain takes the admin token only; once it answered 202
// the node fails /readyz with 503 draining (and a Retry-After) and refuses
// publishers the same way, while it keeps answering everything else.
func TestAdminDrain(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Media.ICEInterfaces = []string{"lo"}
	s := newServerWith(t, cfg)
	post := func(path, token, ctype, body string) (*http.Response, string) {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := s.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if st, body := get(t, s, "/readyz", ""); st != http.StatusOK {
		t.Fatalf("/readyz before the drain = %d %s", st, body)
	}
	var key struct {
		ID      string `json:"id"`
		PushKey string `json:"push_key"`
	}
	resp, body := post("/api/rooms", s.AdminToken(), "application/json", `{"title":"Drain"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create room: %d %s", resp.StatusCode, body)
	}
	if err := json.Unmarshal([]byte(body), &key); err != nil || key.PushKey == "" {
		t.Fatalf("room %s: %v", body, err)
	}

	for _, tok := range []string{"", "not-the-admin-token-0123456789abcdef0123"} {
		if resp, body := post("/api/admin/drain", tok, "", ""); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("drain with %q = %d %s; want 401", tok, resp.StatusCode, body)
		}
	}
	if st, _ := get(t, s, "/readyz", ""); st != http.StatusOK {
		t.Fatalf("a refused drain request drained the node: /readyz %d", st)
	}
	resp, body = post("/api/admin/drain", s.AdminToken(), "", "")
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(body, `"started":true`) {
		t.Fatalf("drain = %d %s", resp.StatusCode, body)
	}
	testenv.Eventually(t, 5*time.Second, func() bool { st, _ := get(t, s, "/readyz", ""); return st != http.StatusOK }, "the node does not drain")
	req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
	r, err := s.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusServiceUnavailable || errorCode(string(b)) != "draining" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("/readyz while draining = %d %s (Retry-After %q)", r.StatusCode, b, r.Header.Get("Retry-After"))
	}
	resp, body = post("/whip/"+key.ID, key.PushKey, "application/sdp", "v=0\r\n")
	if resp.StatusCode != http.StatusServiceUnavailable || errorCode(body) != "draining" {
		t.Fatalf("WHIP while draining = %d %s", resp.StatusCode, body)
	}
	if st, body := get(t, s, "/api/rooms/"+key.ID, ""); st != http.StatusOK {
		t.Fatalf("room API while draining = %d %s", st, body)
	}
	if resp, body := post("/api/admin/drain", s.AdminToken(), "", ""); resp.StatusCode != http.StatusAccepted || !strings.Contains(body, `"started":false`) {
		t.Fatalf("second drain = %d %s", resp.StatusCode, body)
	}
}
