package signaling

import (
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/apierr"
)

const fragFixture = "a=ice-ufrag:EsAw\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\na=group:BUNDLE 0 1\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 0\r\na=candidate:2 1 udp 2130706431 127.0.0.1 50002 typ host\r\na=mid:1\r\na=end-of-candidates\r\n"

func TestParseFragment(t *testing.T) {
	f, err := ParseFragment([]byte(fragFixture))
	if err != nil {
		t.Fatal(err)
	}
	if f.Ufrag != "EsAw" || f.Pwd != "bP+XJMM09aR8AiX1jdukzR6Y" || !f.EndOfCandidates || len(f.Candidates) != 2 {
		t.Fatalf("%+v", f)
	}
	if c := f.Candidates[0]; c.Mid != "0" || c.MLine != 0 || !strings.HasPrefix(c.Value, "candidate:1 ") {
		t.Fatalf("first candidate %+v", c)
	}
	// a=mid after the candidate still names its section.
	if c := f.Candidates[1]; c.Mid != "1" || c.MLine != 1 {
		t.Fatalf("second candidate %+v", c)
	}

	for _, tt := range []struct {
		name string
		body string
		ok   bool
	}{
		{"empty", "", true},
		{"only end", "a=end-of-candidates\n", true},
		{"bare candidate", "a=candidate:1 1 udp 1 127.0.0.1 5000 typ host\n", true},
		{"unknown attribute ignored", "a=ice-options:trickle\na=foo:bar\nc=IN IP4 0.0.0.0\n", true},
		{"ufrag without pwd", "a=ice-ufrag:abcd\n", false},
		{"short pwd", "a=ice-ufrag:abcd\na=ice-pwd:short\n", false},
		{"conflicting ufrag", "a=ice-ufrag:abcd\na=ice-ufrag:efgh\na=ice-pwd:0123456789012345678901\n", false},
		{"bad ice chars", "a=ice-ufrag:ab cd\na=ice-pwd:0123456789012345678901\n", false},
		{"mid before m", "a=mid:0\n", false},
		{"bad m line", "m=audio\n", false},
		{"garbage line", "hello\n", false},
		{"bad candidate", "a=candidate:nonsense\n", false},
		{"long line", "a=x:" + strings.Repeat("a", 2000) + "\n", false},
		{"too many lines", strings.Repeat("a=x\n", 300), false},
		{"too many candidates", strings.Repeat("a=candidate:1 1 udp 1 127.0.0.1 5000 typ host\n", 65), false},
	} {
		_, err := ParseFragment([]byte(tt.body))
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestAppendFragmentRoundTrip(t *testing.T) {
	out := AppendFragment(nil, "srvU", "serverpasswordserverpassword", "video", "0",
		[]string{"candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host", "2 1 udp 2130706431 127.0.0.1 40001 typ host"})
	f, err := ParseFragment(out)
	if err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	if f.Ufrag != "srvU" || len(f.Candidates) != 2 || f.Candidates[1].Value != "candidate:2 1 udp 2130706431 127.0.0.1 40001 typ host" || f.Candidates[0].Mid != "0" || !f.EndOfCandidates {
		t.Fatalf("%+v", f)
	}
}

const offerFixture = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-ufrag:EsAw\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:a\r\na=rtpmap:111 opus/48000/2\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:v\r\na=rtpmap:96 VP8/90000\r\n"

func TestValidateOffer(t *testing.T) {
	info, err := ValidateOffer([]byte(offerFixture), 4096)
	if err != nil {
		t.Fatal(err)
	}
	if info.Ufrag != "EsAw" || strings.Join(info.Mids, ",") != "a,v" || strings.Join(info.Kinds, ",") != "audio,video" {
		t.Fatalf("%+v", info)
	}
	for _, tt := range []struct {
		name, body string
		max        int
	}{
		{"empty", "", 4096},
		{"too big", offerFixture, 10},
		{"not sdp", "hello world", 4096},
		{"no media", "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", 4096},
		{"no mid", strings.ReplaceAll(offerFixture, "a=mid:v\r\n", ""), 4096},
		{"duplicate mid", strings.ReplaceAll(offerFixture, "a=mid:v", "a=mid:a"), 4096},
		{"no ice", strings.ReplaceAll(offerFixture, "a=ice-ufrag:EsAw\r\n", ""), 4096},
		{"too many sections", offerFixture + strings.Repeat("m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:x\r\n", 8), 8192},
	} {
		if _, err := ValidateOffer([]byte(tt.body), tt.max); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}

func TestIfMatch(t *testing.T) {
	for _, tt := range []struct {
		header, etag string
		want         bool
	}{
		{"*", `"a"`, true},
		{`"a"`, `"a"`, true},
		{`"b", "a"`, `"a"`, true},
		{`"b"`, `"a"`, false},
		{`W/"a"`, `"a"`, false},
		{`a`, `"a"`, false},
		{``, `"a"`, false},
	} {
		if got := ifMatch(tt.header, tt.etag); got != tt.want {
			t.Errorf("ifMatch(%q, %q) = %v", tt.header, tt.etag, got)
		}
	}
}

func TestICELinks(t *testing.T) {
	links, err := ICELinks([]string{"stun:stun.l.example:19302", "turn://bob:p%40ss@turn.example:3478?transport=tcp", "turns:turn.example:5349"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`<stun:stun.l.example:19302>; rel="ice-server"`,
		`<turn:turn.example:3478?transport=tcp>; rel="ice-server"; username="bob"; credential="p@ss"; credential-type="password"`,
		`<turns:turn.example:5349>; rel="ice-server"`,
	}
	if strings.Join(links, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got %q", links)
	}
	for _, bad := range []string{"", "http://x", "stun:", "stun:a@b", `turn:u:"x@h`, "turn:h>x"} {
		if _, err := ICELinks([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestBodies(t *testing.T) {
	n, err := parseCreateRoom([]byte(`{"title":"Sale","private":true}`), true)
	if err != nil || n.Title != "Sale" || !n.Private || !n.AnonymousChat {
		t.Fatalf("%+v %v", n, err)
	}
	n, err = parseCreateRoom([]byte(`{"id":"my-room","title":"Sale","anonymous_chat":false}`), true)
	if err != nil || n.ID != "my-room" || n.AnonymousChat {
		t.Fatalf("%+v %v", n, err)
	}
	for _, bad := range []string{``, `{}`, `{"title":""}`, `{"title":"x","extra":1}`, `{"title":"x"} {}`, `[1]`, `{"title":"x","id":"a/b"}`, `{"title":5}`, `{"title":"` + strings.Repeat("x", 300) + `"}`} {
		if _, err := parseCreateRoom([]byte(bad), false); err == nil {
			t.Errorf("create %q accepted", bad)
		}
	}
	if _, err := parseCreateRoom([]byte(`{"title":"`+strings.Repeat("x", apierr.MaxJSONBody)+`"}`), false); err == nil {
		t.Error("oversized body accepted")
	}

	p, err := parsePatchRoom([]byte(`{"private":false}`))
	if err != nil || p.Private == nil || *p.Private || p.Title != nil {
		t.Fatalf("%+v %v", p, err)
	}
	for _, bad := range []string{`{}`, `{"title":"  "}`, `{"x":1}`} {
		if _, err := parsePatchRoom([]byte(bad)); err == nil {
			t.Errorf("patch %q accepted", bad)
		}
	}

	u, name, ttl, err := parseViewerToken([]byte(`{"user_id":"u1","name":"Ann","ttl_seconds":60}`), time.Hour)
	if err != nil || u != "u1" || name != "Ann" || ttl != time.Minute {
		t.Fatalf("%q %q %v %v", u, name, ttl, err)
	}
	if _, _, ttl, _ := parseViewerToken([]byte(`{"user_id":"u1"}`), time.Hour); ttl != time.Hour {
		t.Fatalf("default ttl = %v", ttl)
	}
	for _, bad := range []string{`{}`, `{"user_id":""}`, `{"user_id":"a b"}`, `{"user_id":"u","ttl_seconds":-1}`, `{"user_id":"u","ttl_seconds":99999999}`, `{"user_id":"u","name":"a\u0000"}`} {
		if _, _, _, err := parseViewerToken([]byte(bad), time.Hour); err == nil {
			t.Errorf("viewer token %q accepted", bad)
		}
	}

	for body, want := range map[string]string{`{"layer":"h"}`: "h", `{"layer":"auto"}`: "", `{"layer":""}`: "", `{"layer":"high"}`: "high"} {
		if got, err := parseLayerRequest([]byte(body)); err != nil || got != want {
			t.Errorf("layer %s = %q, %v", body, got, err)
		}
	}
	for _, bad := range []string{`{"layer":"h h"}`, `{"layer":"` + strings.Repeat("h", 17) + `"}`, `{"layer":1}`} {
		if _, err := parseLayerRequest([]byte(bad)); err == nil {
			t.Errorf("layer %q accepted", bad)
		}
	}
}
