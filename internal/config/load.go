package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/livesell/livesell/internal/iceserver"
)

// Default returns the configuration used when nothing is set: one machine,
// embedded stores, loopback-friendly defaults.
func Default() Config {
	return Config{
		HTTPAddr:      ":8080",
		DataDir:       "./data",
		CORSOrigins:   []string{"*"},
		LogLevel:      "info",
		LogFormat:     "text",
		ShutdownGrace: 10 * time.Second,
		DrainTimeout:  20 * time.Second,
		Store:         StoreConfig{Namespace: "livesell"},
		Auth:          AuthConfig{TokenTTL: 24 * time.Hour},
		Media: MediaConfig{
			MaxBodyBytes:        64 << 10,
			SessionRate:         5,
			SessionBurst:        20,
			SessionsPerAddress:  50,
			ICEConnectTimeout:   10 * time.Second,
			MaxRemoteCandidates: 16,
			TURNCredentialTTL:   time.Hour,
			CascadeMaxDepth:     3,
		},
		Chat: ChatConfig{
			BatchInterval:     100 * time.Millisecond,
			MaxDanmakuRunes:   200,
			DanmakuPerSecond:  1,
			LikesPerSecond:    5,
			RecentDanmaku:     50,
			ViewerQueueLength: 64,
		},
		Commerce: CommerceConfig{
			OrderTTL:            15 * time.Minute,
			ReconcileInterval:   time.Minute,
			CallbackWindow:      5 * time.Minute,
			Sandbox:             "off",
			MaxUnpaidPerUser:    20,
			MaxUnpaidPerAddress: 100,
			LiveOrderTTL:        5 * time.Minute,
			OutboxRetention:     7 * 24 * time.Hour,
			ReviewAfter:         5 * time.Minute,
			LiveMaxDiscount:     50,
		},
		Notify:    notifyDefaults(),
		Recording: RecordingConfig{Retention: 30 * 24 * time.Hour, PauseTimeout: 10 * time.Minute},
	}
}

// ErrHelp is returned by Load when -h or --help was asked for; the usage has
// been written.
var ErrHelp = flag.ErrHelp

// Load parses args (without the program name) and the environment over the
// defaults. A --config FILE (or LIVESELL_CONFIG) YAML file sits between the
// defaults and the environment. Usage goes to out.
func Load(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	cfg := Default()
	settings := cfg.settings()

	fs := flag.NewFlagSet("livesell", flag.ContinueOnError)
	fs.SetOutput(out)
	configFile := fs.String("config", getenv("LIVESELL_CONFIG"), "YAML file of settings (keys are the flag names); env: LIVESELL_CONFIG")
	for _, s := range settings {
		fs.Var(s.value, s.name, s.help+" (env: "+strings.Join(s.env, ", ")+")")
	}
	fs.Usage = func() { usage(fs, out) }
	// Flags are parsed twice: once to find --config, and again after the
	// file and environment so that flags win.
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *configFile != "" {
		if err := applyFile(settings, *configFile); err != nil {
			return cfg, err
		}
	}
	for _, s := range settings {
		for _, name := range s.env {
			if v := getenv(name); v != "" {
				if err := s.value.Set(v); err != nil {
					return cfg, fmt.Errorf("%s: %w", name, err)
				}
			}
		}
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

func applyFile(settings []setting, path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	byName := make(map[string]setting, len(settings))
	for _, s := range settings {
		byName[s.name] = s
		byName[strings.ReplaceAll(s.name, "-", "_")] = s
	}
	for key, v := range doc {
		s, ok := byName[key]
		if !ok {
			return fmt.Errorf("config file %s: unknown setting %q", path, key)
		}
		text := fmt.Sprint(v)
		if list, ok := v.([]any); ok {
			parts := make([]string, len(list))
			for i, p := range list {
				parts[i] = fmt.Sprint(p)
			}
			text = strings.Join(parts, ",")
		}
		if err := s.value.Set(text); err != nil {
			return fmt.Errorf("config file %s: %s: %w", path, key, err)
		}
	}
	return nil
}

// MinSecretBytes is the shortest admin token, JWT secret or metrics token
// accepted (#11.11): generated ones are 32 random bytes, hex.
const MinSecretBytes = 32

// Validate reports settings that cannot work together.
func (c Config) Validate() error {
	var errs []error
	if c.HTTPAddr == "" {
		errs = append(errs, errors.New("http-addr is empty"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data-dir is empty"))
	}
	if c.DrainTimeout < 0 {
		errs = append(errs, errors.New("drain-timeout may not be negative"))
	}
	if c.Chat.BatchInterval < 10*time.Millisecond {
		errs = append(errs, errors.New("chat-batch-interval must be at least 10ms"))
	}
	if c.Commerce.OrderTTL < time.Second {
		errs = append(errs, errors.New("order-ttl must be at least 1s"))
	}
	if c.Media.UDPPortMin > c.Media.UDPPortMax {
		errs = append(errs, errors.New("udp-port-min is above udp-port-max"))
	}
	for _, sec := range []struct{ name, v string }{{"admin-token", c.AdminToken}, {"jwt-secret", c.Auth.JWTSecret}, {"metrics-token", c.MetricsToken}, {"node-secret", c.Media.NodeSecret}} {
		if sec.v != "" && len(sec.v) < MinSecretBytes {
			errs = append(errs, fmt.Errorf("%s must be at least %d bytes (or empty, to generate one): a short secret can be guessed", sec.name, MinSecretBytes))
		}
	}
	if _, err := iceserver.ParseList(c.Media.ICEServers); err != nil {
		errs = append(errs, err)
	}
	if c.Media.MaxBodyBytes <= 0 {
		errs = append(errs, errors.New("max-sdp-bytes must be positive"))
	}
	if c.Media.SessionRate <= 0 || c.Media.SessionBurst <= 0 || c.Media.SessionsPerAddress <= 0 {
		errs = append(errs, errors.New("session-rate, session-burst and sessions-per-address must be positive"))
	}
	if c.Media.ICEConnectTimeout < 100*time.Millisecond {
		errs = append(errs, errors.New("ice-connect-timeout must be at least 100ms"))
	}
	if c.Media.MaxRemoteCandidates <= 0 {
		errs = append(errs, errors.New("max-remote-candidates must be positive"))
	}
	if c.Media.TURNSecret != "" && len(c.Media.TURNSecret) < 32 {
		errs = append(errs, errors.New("turn-secret must be at least 32 bytes"))
	}
	if c.Media.TURNCredentialTTL < time.Minute {
		errs = append(errs, errors.New("turn-ttl must be at least 1m"))
	}
	switch c.Commerce.Sandbox {
	case "on", "off":
	case "auto":
		errs = append(errs, errors.New(`payment-sandbox "auto" is gone: the sandbox (payments without money) is on only with payment-sandbox=on`))
	default:
		errs = append(errs, errors.New("payment-sandbox must be on or off"))
	}
	if c.Commerce.LiveMaxDiscount < -1 || c.Commerce.LiveMaxDiscount > 99 {
		errs = append(errs, errors.New("live-max-discount must be between 1 and 99 percent (-1 = no cap)"))
	}
	if c.Commerce.MaxUnpaidPerUser < 0 || c.Commerce.MaxUnpaidPerAddress < 0 {
		errs = append(errs, errors.New("unpaid-per-user and unpaid-per-address must be at least 0 (0 = no cap)"))
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("public-url %q must be an absolute http(s) URL without query or fragment", c.PublicURL))
		}
	}
	if c.Media.CascadeUpstream != "" {
		u, err := url.Parse(c.Media.CascadeUpstream)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			// The value is not echoed: it might hold credentials.
			errs = append(errs, errors.New("cascade-upstream must be an absolute http(s) URL without credentials, query or fragment"))
		}
	}
	if c.Media.CascadeMaxDepth < 1 || c.Media.CascadeMaxDepth > 16 {
		errs = append(errs, errors.New("cascade-max-depth must be between 1 and 16"))
	}
	if c.SignInURL != "" {
		u, err := url.Parse(strings.ReplaceAll(c.SignInURL, "{return}", "x"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("sign-in-url %q must be an absolute http(s) URL", c.SignInURL))
		}
	}
	if c.Store.Namespace == "" {
		errs = append(errs, errors.New("namespace is empty"))
	}
	errs = append(errs, c.Notify.validate()...)
	return errors.Join(errs...)
}

func usage(fs *flag.FlagSet, out io.Writer) {
	fmt.Fprintln(out, `livesell: a WebRTC live-selling server.

Usage:
  livesell [serve] [flags]          serve WHIP/WHEP, chat, commerce and the web pages
  livesell bench media|chat|flashsale [flags]   load tools (see livesell bench -h)
  livesell version

Every setting can come from a flag, the environment or a YAML file (--config);
flags win over the environment, which wins over the file. Settings:`)
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	for _, n := range names {
		f := fs.Lookup(n)
		def := f.DefValue
		if def != "" && def != "0" && def != "false" {
			fmt.Fprintf(out, "  --%s\n      %s (default %s)\n", n, f.Usage, def)
		} else {
			fmt.Fprintf(out, "  --%s\n      %s\n", n, f.Usage)
		}
	}
}
