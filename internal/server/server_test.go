package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/server"
	"github.com/livesell/livesell/internal/testenv"
)

// newServer starts a node on the embedded defaults in a temporary data dir.
func newServer(t *testing.T) *server.Server {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Media.ICEInterfaces = []string{"lo"}
	s, err := server.New(context.Background(), cfg, testenv.Logger(t))
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

func TestOpsEndpoints(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		path   string
		status int
		code   string
	}{
		{"/healthz", http.StatusOK, ""},
		{"/readyz", http.StatusOK, ""},
		{"/metrics", http.StatusUnauthorized, "missing_token"}, // see TestMetricsNeedToken
		{"/no/such/thing", http.StatusNotFound, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := s.App().Test(httptest.NewRequest(http.MethodGet, tt.path, nil), -1)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
			if tt.code != "" {
				var doc struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal(body, &doc); err != nil || doc.Error.Code != tt.code || doc.Error.Message == "" {
					t.Fatalf("error body = %s (%v), want code %q with a message", body, err, tt.code)
				}
			}
		})
	}
}

func TestSecretsPersistAcrossRestarts(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	first, err := server.New(context.Background(), cfg, testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	token := first.AdminToken()
	first.Close(context.Background())
	second, err := server.New(context.Background(), cfg, testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close(context.Background())
	if token == "" || second.AdminToken() != token {
		t.Fatalf("admin token changed across restart: %q then %q", token, second.AdminToken())
	}
}
