package signaling

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/apierr"
)

func FuzzParseFragment(f *testing.F) {
	f.Add([]byte(fragFixture))
	f.Add([]byte("a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n"))
	f.Add([]byte("m=audio 9 RTP/AVP 0\na=mid:0\na=candidate:1 1 tcp 1 ::1 9 typ host tcptype passive\n"))
	f.Add([]byte("a=end-of-candidates"))
	f.Add([]byte("\n\n\r\nm=\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		frag, err := ParseFragment(body)
		if err != nil {
			if !errors.Is(err, ErrMalformedFragment) {
				t.Fatalf("error %v is not ErrMalformedFragment", err)
			}
			return
		}
		if len(frag.Candidates) > maxFragCandidates || (frag.Ufrag == "") != (frag.Pwd == "") {
			t.Fatalf("limits not enforced: %+v", frag)
		}
		// What the server writes back parses again.
		if frag.Ufrag != "" {
			vals := make([]string, len(frag.Candidates))
			for i, c := range frag.Candidates {
				vals[i] = c.Value
			}
			again, err := ParseFragment(AppendFragment(nil, frag.Ufrag, frag.Pwd, "audio", "0", vals))
			if err != nil || again.Ufrag != frag.Ufrag || len(again.Candidates) != len(frag.Candidates) {
				t.Fatalf("round trip: %+v %v", again, err)
			}
		}
	})
}

func FuzzValidateOffer(f *testing.F) {
	f.Add([]byte(offerFixture))
	f.Add([]byte("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"))
	f.Add([]byte("v=0\nm=video 9 X 96\na=mid:\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		info, err := ValidateOffer(body, 8192)
		if err != nil {
			if !errors.Is(err, ErrMalformedOffer) {
				t.Fatalf("error %v is not ErrMalformedOffer", err)
			}
			return
		}
		if len(info.Mids) == 0 || len(info.Mids) > maxMediaSections || len(info.Mids) != len(info.Kinds) || !validICEChars(info.Ufrag, 4) {
			t.Fatalf("accepted offer breaks the rules: %+v", info)
		}
	})
}

func FuzzRequestBodies(f *testing.F) {
	for _, s := range []string{`{"title":"Sale","private":true}`, `{"id":"x","title":"t","anonymous_chat":false}`, `{"user_id":"u","ttl_seconds":5}`,
		`{"layer":"h"}`, `{"title":"a"}{}`, `{"title":"\u0000"}`, ``, `null`, `{"private":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if n, err := parseCreateRoom(body, false); err == nil && (n.Title == "" || len(n.ID) > 64) {
			t.Fatalf("create accepted %+v", n)
		} else if err != nil && apierr.From(err).Status != 400 && apierr.From(err).Status != 413 {
			t.Fatalf("create error %v is not a 400 or 413", err)
		}
		if p, err := parsePatchRoom(body); err == nil && p.Title == nil && p.Private == nil && p.AnonymousChat == nil {
			t.Fatal("empty patch accepted")
		}
		if u, _, ttl, err := parseViewerToken(body, time.Hour); err == nil && (u == "" || ttl <= 0 || ttl > maxViewerTokenTTL) {
			t.Fatalf("viewer token accepted %q %v", u, ttl)
		}
		if l, err := parseLayerRequest(body); err == nil && len(l) > 16 {
			t.Fatalf("layer accepted %q", l)
		}
	})
}

func FuzzIfMatch(f *testing.F) {
	f.Add(`"abc"`, `"abc"`)
	f.Add(`*`, `"x"`)
	f.Add(`W/"abc", "d"`, `"d"`)
	f.Fuzz(func(t *testing.T, header, etag string) {
		if ifMatch(header, etag) && strings.TrimSpace(header) != "*" && len(etag) < 2 {
			t.Fatalf("%q matched malformed etag %q", header, etag)
		}
	})
}
