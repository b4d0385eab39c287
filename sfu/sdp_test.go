package sfu

import (
	"errors"
	"strings"
	"testing"
)

const obsOffer = `v=0
o=- 1 1 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1
m=audio 9 UDP/TLS/RTP/SAVPF 111
c=IN IP4 0.0.0.0
a=mid:0
a=sendonly
a=rtpmap:111 opus/48000/2
m=video 9 UDP/TLS/RTP/SAVPF 96 97
c=IN IP4 0.0.0.0
a=mid:1
a=sendonly
a=rtpmap:96 H264/90000
a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
`

func TestInspectOffer(t *testing.T) {
	info, err := inspectOffer(strings.ReplaceAll(obsOffer, "\n", "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !info.audio || !info.video || !info.opus || !info.videoOK || kindOfMime(info.videoCodec.MimeType) != codecH264 {
		t.Fatalf("got %+v", info)
	}
	if info.videoCodec.PayloadType != 100 {
		t.Errorf("mapped to our payload type %d, want the 42e01f codec", info.videoCodec.PayloadType)
	}

	sim := strings.Replace(obsOffer, "a=mid:1\n", "a=mid:1\na=rid:f send\na=rid:h send\na=rid:q send\na=simulcast:send f;h;q\n", 1)
	info, err = inspectOffer(strings.ReplaceAll(sim, "\n", "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	ranks := rankRIDs(info.rids)
	if ranks["q"] != 0 || ranks["h"] != 1 || ranks["f"] != 2 {
		t.Errorf("ranks %v from rids %v", ranks, info.rids)
	}

	noPM := strings.Replace(obsOffer, "packetization-mode=1", "packetization-mode=0", 1)
	info, err = inspectOffer(strings.ReplaceAll(noPM, "\n", "\r\n"))
	if err != nil || info.videoOK {
		t.Errorf("packetization-mode=0 accepted: %+v %v", info, err)
	}

	if _, err := inspectOffer("hello"); !errors.Is(err, ErrInvalidOffer) {
		t.Errorf("garbage: %v", err)
	}
	twoAudio := obsOffer + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
	if _, err := inspectOffer(strings.ReplaceAll(twoAudio, "\n", "\r\n")); !errors.Is(err, ErrUnsupportedMedia) {
		t.Errorf("two audio sections: %v", err)
	}
}

func TestRankAndResolveLayers(t *testing.T) {
	r := rankRIDs([]string{"high", "low", "mid"})
	if r["low"] != 0 || r["mid"] != 1 || r["high"] != 2 {
		t.Errorf("low/mid/high ranks %v", r)
	}
	r = rankRIDs([]string{"a", "b"})
	if r["a"] != 0 || r["b"] != 1 {
		t.Errorf("unknown rids keep offer order: %v", r)
	}
	r = rankRIDs([]string{"l", "m", "h"})
	if r["h"] != 2 {
		t.Errorf("l/m/h: h must be high, got %v", r)
	}
	layers := []*layer{{rid: "q", rank: 0}, {rid: "f", rank: 2}}
	for name, want := range map[string]string{"q": "q", "f": "f", "mid": "q", "high": "f", "low": "q", "h": "q"} {
		if got := resolveLayer(name, layers); got.rid != want {
			t.Errorf("resolve %q = %q, want %q", name, got.rid, want)
		}
	}
	if validLayerName("zz", layers) || !validLayerName("f", layers) || !validLayerName("", nil) {
		t.Error("validLayerName")
	}
	layers = []*layer{{rid: "q", rank: 0}, {rid: "h", rank: 1}, {rid: "f", rank: 2}}
	layers[0].rate.Store(150_000)
	layers[1].rate.Store(500_000)
	layers[2].rate.Store(1_800_000)
	for est, want := range map[int64]string{50_000: "q", 700_000: "h", 2_500_000: "f", 1_500_000: "h"} {
		if got := pickByBandwidth(layers, est); got.rid != want {
			t.Errorf("estimate %d: %s, want %s", est, got.rid, want)
		}
	}
}

func FuzzInspectOffer(f *testing.F) {
	f.Add(obsOffer)
	f.Add(strings.ReplaceAll(obsOffer, "\n", "\r\n"))
	f.Add("v=0\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		info, err := inspectOffer(s)
		if err == nil {
			_ = rankRIDs(info.rids)
		}
		_, _ = iceParams(s)
		_, _ = withICECredentials(s, "u", "p")
	})
}
