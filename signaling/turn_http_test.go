package signaling_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/signaling"
)

// TestAnswerCarriesShortLivedTURNCredentials is #11.17: with a TURN
// secret, each WHEP/WHIP answer carries TURN credentials of its own that
// verify against the secret and expire after the TTL; endpoint discovery
// (HEAD/GET, OPTIONS) hands out none.
func TestAnswerCarriesShortLivedTURNCredentials(t *testing.T) {
	secret := "turn-shared-secret-0123456789abcdef"
	h := newHarness(t, func(o *signaling.Options) {
		o.ICEServers = []string{"stun:stun.example.net:3478"}
		o.TURN = signaling.TURNOptions{URLs: []string{"turn:turn.example.net:3478?transport=udp"}, Secret: secret, TTL: 10 * time.Minute}
	})
	rm := h.createRoom(false)
	pub := h.publish(rm.ID, rm.PushKey)
	if pub.status != http.StatusCreated {
		t.Fatalf("publish: %d %s", pub.status, pub.body)
	}
	view := h.play("/whep/" + rm.ID)
	if view.status != http.StatusCreated {
		t.Fatalf("play: %d %s", view.status, view.body)
	}
	re := regexp.MustCompile(`^<turn:turn\.example\.net:3478\?transport=udp>; rel="ice-server"; username="(\d+):([^"]+)"; credential="([^"]+)"; credential-type="password"$`)
	var seen []string
	for name, resp := range map[string]response{"whip": pub, "whep": view} {
		var turn []string
		for _, l := range resp.header.Values("Link") {
			if strings.Contains(l, "<turn:") {
				turn = append(turn, l)
			}
		}
		if len(turn) != 1 {
			t.Fatalf("%s answer: TURN links %q, want one", name, turn)
		}
		m := re.FindStringSubmatch(turn[0])
		if m == nil {
			t.Fatalf("%s answer: TURN link %q", name, turn[0])
		}
		exp, _ := strconv.ParseInt(m[1], 10, 64)
		if left := time.Until(time.Unix(exp, 0)); left < 9*time.Minute || left > 11*time.Minute {
			t.Fatalf("%s credential expires in %v, want about 10m", name, left)
		}
		mac := hmac.New(sha1.New, []byte(secret))
		mac.Write([]byte(m[1] + ":" + m[2]))
		if base64.StdEncoding.EncodeToString(mac.Sum(nil)) != m[3] {
			t.Fatalf("%s credential does not verify against the secret", name)
		}
		seen = append(seen, m[2])
	}
	if seen[0] == seen[1] {
		t.Fatalf("anchor and viewer share TURN username %q", seen[0])
	}
	for _, method := range []string{"GET", "OPTIONS"} {
		r := h.do(method, "/whep/"+rm.ID, "")
		if strings.Contains(strings.Join(r.header.Values("Link"), ","), "credential=") {
			t.Fatalf("%s /whep hands out TURN credentials", method)
		}
	}
}
