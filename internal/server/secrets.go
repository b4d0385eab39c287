package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/config"
)

// Secrets are the node's shared secrets: configured, or generated once into
// the data directory (mode 0600) so that they survive restarts. In a cluster,
// configure them so every node shares them.
type Secrets struct {
	AdminToken    string
	JWTSecret     string
	SandboxSecret string
}

func loadSecrets(cfg config.Config) (Secrets, error) {
	var s Secrets
	var err error
	if s.AdminToken, err = secretOrFile(cfg.AdminToken, cfg.DataDir, "admin-token"); err != nil {
		return s, err
	}
	if s.JWTSecret, err = secretOrFile(cfg.Auth.JWTSecret, cfg.DataDir, "jwt-secret"); err != nil {
		return s, err
	}
	if s.SandboxSecret, err = secretOrFile(cfg.Commerce.SandboxSecret, cfg.DataDir, "sandbox-secret"); err != nil {
		return s, err
	}
	return s, nil
}

func secretOrFile(configured, dir, name string) (string, error) {
	if configured != "" {
		return configured, nil
	}
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("server: read %s: %w", path, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("server: data dir: %w", err)
	}
	secret := auth.RandomSecret(24)
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("server: write %s: %w", path, err)
	}
	return secret, nil
}
