package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/server"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/sfu/synth"
)

// TestDocumentedTURNFormWorks is #11.9 (ICE part): the TURN form that
// docs/whip-whep.md documents (turn:user:pass@host:port?transport=udp)
// starts a node, and a publisher's answer carries it as a Link header with
// its credentials; /web/config.json is served.
func TestDocumentedTURNFormWorks(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Media.ICEInterfaces = []string{"lo"}
	cfg.Media.ICEServers = []string{"stun:stun.example.net:3478", "turn:user:pass@turn.example.net:3478?transport=udp"}
	s := newServerWith(t, cfg)

	_, _, raw := send(t, s, http.MethodPost, "/api/rooms", s.AdminToken(), `{"id":"turn","title":"TURN"}`)
	key := jsonString(t, raw, "push_key")
	api, err := synth.NewAPI(true)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := synth.NewPublisher(api, synth.PublisherOptions{FPS: 15, Bitrates: []int{100_000}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })
	offer, err := pub.Offer()
	if err != nil {
		t.Fatal(err)
	}
	resp, out := exchange(t, s, http.MethodPost, "/whip/turn", key, "application/sdp", offer)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("WHIP: %d %s", resp.StatusCode, out)
	}
	links := strings.Join(resp.Header.Values("Link"), "\n")
	for _, want := range []string{
		`<stun:stun.example.net:3478>; rel="ice-server"`,
		`<turn:turn.example.net:3478?transport=udp>; rel="ice-server"; username="user"; credential="pass"; credential-type="password"`,
	} {
		if !strings.Contains(links, want) {
			t.Errorf("Link headers %q lack %q", links, want)
		}
	}
	if code, _, body := call(t, s, http.MethodGet, "/web/config.json", ""); code != http.StatusOK {
		t.Fatalf("/web/config.json = %d %s", code, body)
	}
}

// TestBadICEServerIsAStartupError is #11.9: an ICE server the parser
// refuses is a clear error from server.New naming the setting, not a panic.
func TestBadICEServerIsAStartupError(t *testing.T) {
	for _, bad := range []string{"turn:a b", "turn://user:pass@host:99999", "http://turn.example.net", "stun:user:pw@host"} {
		t.Run(bad, func(t *testing.T) {
			cfg := config.Default()
			cfg.DataDir = t.TempDir()
			cfg.Media.ICEServers = []string{bad}
			s, err := server.New(context.Background(), cfg, testenv.Logger(t))
			if err == nil {
				s.Close(context.Background())
				t.Fatal("server.New accepted it")
			}
			if !strings.Contains(err.Error(), "ice-servers") {
				t.Fatalf("error %q does not name the setting", err)
			}
		})
	}
}

// jsonString is the string field name of the JSON object raw.
func jsonString(t *testing.T, raw []byte, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	s, _ := m[name].(string)
	if s == "" {
		t.Fatalf("%s has no %s", raw, name)
	}
	return s
}
