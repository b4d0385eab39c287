package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "livesell.yaml")
	if err := os.WriteFile(file, []byte("http_addr: 127.0.0.1:7000\norder-ttl: 2m\nice-interfaces: [lo, eth9]\nchat-batch-interval: 50ms\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, c Config)
	}{
		{"defaults", nil, nil, func(t *testing.T, c Config) {
			if c.HTTPAddr != ":8080" || c.Commerce.OrderTTL != 15*time.Minute || c.Chat.BatchInterval != 100*time.Millisecond || c.Store.Namespace != "livesell" {
				t.Fatalf("defaults wrong: %+v", c)
			}
		}},
		{"file over defaults", []string{"--config", file}, nil, func(t *testing.T, c Config) {
			if c.HTTPAddr != "127.0.0.1:7000" || c.Commerce.OrderTTL != 2*time.Minute || strings.Join(c.Media.ICEInterfaces, ",") != "lo,eth9" {
				t.Fatalf("file not applied: %+v", c)
			}
		}},
		{"env over file", []string{"--config", file}, map[string]string{"LIVESELL_HTTP_ADDR": "127.0.0.1:7001", "LIVESELL_ICE_INTERFACES": "lo"}, func(t *testing.T, c Config) {
			if c.HTTPAddr != "127.0.0.1:7001" || strings.Join(c.Media.ICEInterfaces, ",") != "lo" {
				t.Fatalf("env not applied: %+v", c)
			}
		}},
		{"flag over env", []string{"--http-addr", "127.0.0.1:7002"}, map[string]string{"LIVESELL_HTTP_ADDR": "127.0.0.1:7001"}, func(t *testing.T, c Config) {
			if c.HTTPAddr != "127.0.0.1:7002" {
				t.Fatalf("flag did not win: %s", c.HTTPAddr)
			}
		}},
		{"cascade tiers", nil, map[string]string{"LIVESELL_CASCADE_UPSTREAM": "http://regional.livesell.svc:8080", "LIVESELL_CASCADE_MAX_DEPTH": "4"}, func(t *testing.T, c Config) {
			if c.Media.CascadeUpstream != "http://regional.livesell.svc:8080" || c.Media.CascadeMaxDepth != 4 {
				t.Fatalf("cascade tiers not read: %q %d", c.Media.CascadeUpstream, c.Media.CascadeMaxDepth)
			}
			if d := Default().Media.CascadeMaxDepth; d != 3 {
				t.Fatalf("default cascade-max-depth %d, want 3", d)
			}
		}},
		{"plain service URLs", nil, map[string]string{"REDIS_URL": "redis://127.0.0.1:6379/0", "DATABASE_URL": "postgres://x@127.0.0.1/test", "NATS_URL": "nats://127.0.0.1:4222"}, func(t *testing.T, c Config) {
			if c.Store.RedisURL == "" || c.Store.DatabaseURL == "" || c.Store.NATSURL == "" {
				t.Fatalf("service URLs not read: %+v", c.Store)
			}
		}},
		{"config file from env", nil, map[string]string{"LIVESELL_CONFIG": file}, func(t *testing.T, c Config) {
			if c.HTTPAddr != "127.0.0.1:7000" {
				t.Fatalf("LIVESELL_CONFIG not read: %s", c.HTTPAddr)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.args, func(k string) string { return tt.env[k] }, &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	unknown := filepath.Join(dir, "unknown.yaml")
	os.WriteFile(unknown, []byte("no_such_setting: 1\n"), 0o600)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad duration env", nil, map[string]string{"LIVESELL_ORDER_TTL": "soon"}, "LIVESELL_ORDER_TTL"},
		{"bad int flag", []string{"--udp-port", "x"}, nil, "udp-port"},
		{"unknown file key", []string{"--config", unknown}, nil, "no_such_setting"},
		{"missing file", []string{"--config", filepath.Join(dir, "missing.yaml")}, nil, "config file"},
		{"invalid combination", []string{"--udp-port-min", "9000", "--udp-port-max", "8000"}, nil, "udp-port-min"},
		{"relative public url", []string{"--public-url", "live.example.com"}, nil, "public-url"},
		{"bad sandbox mode", []string{"--payment-sandbox", "maybe"}, nil, "payment-sandbox"},
		{"relative cascade upstream", nil, map[string]string{"LIVESELL_CASCADE_UPSTREAM": "regional:8080"}, "cascade-upstream"},
		{"cascade upstream with credentials", []string{"--cascade-upstream", "http://node:secret@regional:8080"}, nil, "without credentials"},
		{"cascade depth 0", []string{"--cascade-max-depth", "0"}, nil, "cascade-max-depth"},
		{"cascade depth 17", nil, map[string]string{"LIVESELL_CASCADE_MAX_DEPTH": "17"}, "cascade-max-depth"},
		{"stray argument", []string{"oops"}, nil, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.args, func(k string) string { return tt.env[k] }, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want mention of %q", err, tt.want)
			}
		})
	}
}

func TestHelpListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	_, err := Load([]string{"--help"}, func(string) string { return "" }, &out)
	if !errors.Is(err, ErrHelp) {
		t.Fatalf("err = %v, want ErrHelp", err)
	}
	var c Config
	for _, s := range c.settings() {
		if !strings.Contains(out.String(), "--"+s.name) || !strings.Contains(out.String(), s.env[0]) {
			t.Errorf("--help does not explain %s (%s)", s.name, s.env[0])
		}
	}
}

// TestShortSecretsRefused: an admin token, JWT secret or metrics token
// under 32 bytes is a start-up error (#11.11); empty generates one.
func TestShortSecretsRefused(t *testing.T) {
	for _, set := range []func(*Config, string){
		func(c *Config, v string) { c.AdminToken = v },
		func(c *Config, v string) { c.Auth.JWTSecret = v },
		func(c *Config, v string) { c.MetricsToken = v },
		func(c *Config, v string) { c.Media.NodeSecret = v },
	} {
		for v, ok := range map[string]bool{"": true, "change-me": false, "x": false, strings.Repeat("k", 31): false, strings.Repeat("k", 32): true} {
			c := Default()
			set(&c, v)
			if err := c.Validate(); (err == nil) != ok {
				t.Errorf("secret of %d bytes: Validate = %v, want ok=%v", len(v), err, ok)
			}
		}
	}
}
