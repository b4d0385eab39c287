package web

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
)

func newApp(t *testing.T, opts Options) *fiber.App {
	t.Helper()
	app := fiber.New(fiber.Config{ErrorHandler: apierr.FiberHandler(slog.New(slog.DiscardHandler))})
	if err := Mount(app, opts); err != nil {
		t.Fatalf("Mount: %v", err)
	}
	return app
}

func get(t *testing.T, app *fiber.App, target string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestRoutes(t *testing.T) {
	app := newApp(t, Options{})
	tests := []struct {
		path      string
		status    int
		ctype     string
		contains  string
		frameable bool
	}{
		{"/", 200, "text/html", `href="/dashboard"`, false},
		{"/studio/room-1", 200, "text/html", `id="go-live"`, false},
		{"/live/room_1", 200, "text/html", `/assets/js/live.js`, true},
		{"/dashboard", 200, "text/html", `id="login-token"`, false},
		{"/embed/example", 200, "text/html", `src="/embed.js"`, false},
		{"/embed.js", 200, "text/javascript", `customElements.define('livesell-room'`, false},
		{"/assets/js/whip.js", 200, "text/javascript", `rid: 'q', scaleResolutionDownBy: 4`, false},
		{"/assets/js/viewer.js", 200, "text/javascript", `from './card.js'`, false},
		{"/assets/js/card.js", 200, "text/javascript", `export const cardMethods`, false},
		{"/assets/js/purchase.js", 200, "text/javascript", `export const purchaseMethods`, false},
		{"/assets/js/goods.js", 200, "text/javascript", `export class Goods`, false},
		{"/assets/css/room.css", 200, "text/css", `.ls-card`, false},
		{"/web/config.json", 200, "application/json", `"ice_servers":[]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := get(t, app, tt.path, nil)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.ctype) {
				t.Errorf("Content-Type %q, want %s", ct, tt.ctype)
			}
			if !strings.Contains(body, tt.contains) {
				t.Errorf("body does not contain %q", tt.contains)
			}
			if strings.HasPrefix(tt.ctype, "text/html") {
				csp := resp.Header.Get("Content-Security-Policy")
				if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "object-src 'none'") {
					t.Errorf("CSP %q lacks script-src 'self' / object-src 'none'", csp)
				}
				framed := strings.Contains(csp, "frame-ancestors *")
				if framed != tt.frameable {
					t.Errorf("CSP %q: frameable = %v, want %v", csp, framed, tt.frameable)
				}
				if !tt.frameable && resp.Header.Get("X-Frame-Options") != "DENY" {
					t.Errorf("X-Frame-Options = %q, want DENY", resp.Header.Get("X-Frame-Options"))
				}
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("missing nosniff / no-referrer: %v", resp.Header)
			}
		})
	}
}

func TestBadPathsAnswerTheErrorShape(t *testing.T) {
	app := newApp(t, Options{})
	for _, p := range []string{
		"/studio/bad%20room", "/live/" + strings.Repeat("a", 65), "/live/dot.in.id",
		"/assets/nope.js", "/assets/js/../../web.go", "/assets/%2e%2e/web.go", "/assets/",
	} {
		t.Run(p, func(t *testing.T) {
			resp, body := get(t, app, p, nil)
			if resp.StatusCode != http.StatusNotFound {
				t.Fatalf("status %d, want 404: %s", resp.StatusCode, body)
			}
			var doc apierr.Body
			if err := json.Unmarshal([]byte(body), &doc); err != nil || doc.Error.Code == "" || doc.Error.Message == "" {
				t.Fatalf("body %q is not the error shape (%v)", body, err)
			}
		})
	}
}

func TestETagRevalidation(t *testing.T) {
	app := newApp(t, Options{})
	resp, _ := get(t, app, "/assets/js/api.js", nil)
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	resp, body := get(t, app, "/assets/js/api.js", map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusNotModified || body != "" {
		t.Fatalf("status %d with %d bytes, want 304 and no body", resp.StatusCode, len(body))
	}
	resp, _ = get(t, app, "/assets/js/api.js", map[string]string{"If-None-Match": `"other"`})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d for a stale ETag, want 200", resp.StatusCode)
	}
}

func TestConfigCarriesICEServers(t *testing.T) {
	app := newApp(t, Options{ICEServers: []string{"stun:stun.example.org:3478", "turn://u:p@turn.example.org:3478?transport=tcp"}})
	_, body := get(t, app, "/web/config.json", nil)
	var doc browserConfig
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	want := []ICEServer{
		{URLs: []string{"stun:stun.example.org:3478"}},
		{URLs: []string{"turn:turn.example.org:3478?transport=tcp"}, Username: "u", Credential: "p"},
	}
	if len(doc.ICEServers) != len(want) {
		t.Fatalf("got %+v", doc.ICEServers)
	}
	for i := range want {
		g, w := doc.ICEServers[i], want[i]
		if g.URLs[0] != w.URLs[0] || g.Username != w.Username || g.Credential != w.Credential {
			t.Errorf("server %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestMountRejectsBadICEServers(t *testing.T) {
	err := Mount(fiber.New(), Options{ICEServers: []string{"http://nope"}})
	if !errors.Is(err, ErrBadICEServer) {
		t.Fatalf("Mount = %v, want ErrBadICEServer", err)
	}
}

func TestParseICEServers(t *testing.T) {
	tests := []struct {
		in       string
		url      string
		user     string
		password string
		wantErr  bool
	}{
		{in: "stun:127.0.0.1:3478", url: "stun:127.0.0.1:3478"},
		{in: "STUN:host", url: "stun:host"},
		{in: "turn:host:3478?transport=udp", url: "turn:host:3478?transport=udp"},
		{in: "turns://alice:s3cret@host:5349", url: "turns:host:5349", user: "alice", password: "s3cret"},
		{in: "turn://bob@host", url: "turn:host", user: "bob"},
		{in: "", wantErr: true},
		{in: "host:3478", wantErr: true},
		{in: "http://host", wantErr: true},
		{in: "stun:", wantErr: true},
		{in: "stun://u:p@host", wantErr: true},
		{in: "turn:host?transport=sctp", wantErr: true},
		{in: "turn:ho st", wantErr: true},
		{in: "stun:" + strings.Repeat("a", 600), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseICEServers([]string{tt.in})
			if tt.wantErr {
				if !errors.Is(err, ErrBadICEServer) {
					t.Fatalf("err = %v, want ErrBadICEServer", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got[0].URLs[0] != tt.url || got[0].Username != tt.user || got[0].Credential != tt.password {
				t.Fatalf("got %+v", got[0])
			}
		})
	}
}

func FuzzParseICEServers(f *testing.F) {
	for _, s := range []string{"stun:h:1", "turn://u:p@h:2?transport=tcp", "turns:h", "x", "turn://%zz@h", "stun:h?transport=udp"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseICEServers([]string{s})
		if err != nil {
			if !errors.Is(err, ErrBadICEServer) {
				t.Fatalf("error %v is not ErrBadICEServer", err)
			}
			return
		}
		u := got[0].URLs[0]
		if strings.ContainsAny(u, " \r\n@/") {
			t.Fatalf("%q produced URL %q with a forbidden character", s, u)
		}
	})
}

// staticFiles returns every embedded file with its contents.
func staticFiles(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, p)
		out[strings.TrimPrefix(p, "static/")] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The pages load nothing from another origin: no CDN, no web fonts.
func TestNoThirdPartyOrigins(t *testing.T) {
	external := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']\s*(https?:)?//|url\(\s*["']?(https?:)?//|@import|from\s+["'](https?:)?//|import\(\s*["'](https?:)?//`)
	for name, body := range staticFiles(t) {
		if loc := external.FindStringIndex(body); loc != nil {
			t.Errorf("%s loads from another origin: %q", name, body[loc[0]:min(loc[1]+30, len(body))])
		}
	}
}

// User text is never parsed as HTML, and pages run no inline script.
func TestNoHTMLInjectionSinks(t *testing.T) {
	sinks := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(`)
	inline := regexp.MustCompile(`(?i)<script(?:\s+type="module")?\s*>|\son[a-z]+\s*=\s*"`)
	for name, body := range staticFiles(t) {
		if m := sinks.FindString(body); m != "" && strings.HasSuffix(name, ".js") {
			t.Errorf("%s uses %s", name, m)
		}
		if m := inline.FindString(body); m != "" && strings.HasSuffix(name, ".html") {
			t.Errorf("%s has inline script %q (the CSP forbids it)", name, m)
		}
	}
}

// Every module import and every page asset resolves to an embedded file.
func TestReferencesResolve(t *testing.T) {
	all := staticFiles(t)
	imports := regexp.MustCompile(`(?:from\s+|import\()\s*['"](\.{1,2}/[^'"]+)['"]`)
	pageRefs := regexp.MustCompile(`(?:src|href)="(/(?:assets/[^"]+|embed\.js))"`)
	for name, body := range all {
		switch {
		case strings.HasSuffix(name, ".js"):
			for _, m := range imports.FindAllStringSubmatch(body, -1) {
				target := path.Join(path.Dir(name), m[1])
				if _, ok := all[target]; !ok {
					t.Errorf("%s imports %s: no such file %s", name, m[1], target)
				}
			}
		case strings.HasSuffix(name, ".html"):
			for _, m := range pageRefs.FindAllStringSubmatch(body, -1) {
				if _, ok := all[strings.TrimPrefix(m[1], "/")]; !ok {
					t.Errorf("%s references %s: not embedded", name, m[1])
				}
			}
		}
	}
}

// Any request path under /assets/ answers 200 with an embedded file, 304 or
// a 404 in the error shape: never a 5xx, never a file outside the assets.
func FuzzAssetPath(f *testing.F) {
	for _, s := range []string{"js/api.js", "../web.go", "js/../js/api.js", "%2e%2e/%2e%2e/etc/passwd", "css//room.css", "", "a\x00b", "img/scarf.svg?x=1"} {
		f.Add(s)
	}
	app := fiber.New(fiber.Config{ErrorHandler: apierr.FiberHandler(slog.New(slog.DiscardHandler))})
	if err := Mount(app, Options{}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, p string) {
		req, err := http.NewRequest(http.MethodGet, "http://x/assets/"+p, nil)
		if err != nil {
			return // not a URL a client could send
		}
		resp, err := app.Test(req, -1)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		switch resp.StatusCode {
		case http.StatusOK:
			if strings.Contains(string(body), "package web") {
				t.Fatalf("%q served Go source", p)
			}
		case http.StatusNotFound, http.StatusBadRequest:
			var doc apierr.Body
			if json.Unmarshal(body, &doc) != nil || doc.Error.Code == "" {
				t.Fatalf("%q: %d without the error shape: %s", p, resp.StatusCode, body)
			}
		default:
			t.Fatalf("%q: status %d", p, resp.StatusCode)
		}
	})
}
