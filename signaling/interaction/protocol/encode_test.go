package protocol

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendStringRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", `q"b\s`, "<script>&amp;</script>", "line\nbreak\ttab\x01", "弹幕 ＡＢＣ 😀", "\u2028\u2029", "bad\xffutf8"} {
		b := AppendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("AppendString(%q) = %s: %v", s, b, err)
		}
		want := strings.ToValidUTF8(s, "\uFFFD")
		if got != want {
			t.Fatalf("round trip of %q = %q", s, got)
		}
		if strings.ContainsAny(string(b), "<>&") {
			t.Fatalf("AppendString(%q) = %s leaves HTML-special characters", s, b)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("hello")
	f.Add("\xff<\u2028")
	f.Fuzz(func(t *testing.T, s string) {
		var got string
		if err := json.Unmarshal(AppendString(nil, s), &got); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		if utf8.ValidString(s) && got != s {
			t.Fatalf("round trip %q = %q", s, got)
		}
	})
}

func TestBatchWithDropped(t *testing.T) {
	b := AppendBatchStart(nil, BatchHeader{Online: 7, LikesTotal: 42})
	b = AppendDanmaku(b, &Danmaku{ID: "m1", User: "u1", Name: "Ann", Text: "hi <b>", At: 5})
	b = append(b, ',')
	b = AppendDanmaku(b, &Danmaku{ID: "m2", User: "u2", Text: "yo", At: 6})
	frame, at := AppendBatchEnd(b, 3)
	type batch struct {
		V          int       `json:"v"`
		Type       string    `json:"type"`
		Online     int64     `json:"online"`
		LikesTotal int64     `json:"likes_total"`
		Danmaku    []Danmaku `json:"danmaku"`
		Dropped    int       `json:"dropped"`
	}
	tests := []struct {
		name    string
		data    []byte
		dropped int
	}{
		{"shared", frame, 3},
		{"private", WithDropped(nil, frame, at, 120), 120},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got batch
			if err := json.Unmarshal(tt.data, &got); err != nil {
				t.Fatalf("%s: %v", tt.data, err)
			}
			if got.V != 1 || got.Type != TypeBatch || got.Online != 7 || got.LikesTotal != 42 || got.Dropped != tt.dropped {
				t.Fatalf("batch = %+v", got)
			}
			if len(got.Danmaku) != 2 || got.Danmaku[0].Text != "hi <b>" || got.Danmaku[1].ID != "m2" || got.Danmaku[0].Name != "Ann" {
				t.Fatalf("danmaku = %+v", got.Danmaku)
			}
		})
	}
}

func TestWelcomeIsJSON(t *testing.T) {
	w := &Welcome{Room: "r1", You: You{UserID: "u"}, State: "live", Card: json.RawMessage(`{"shown":true}`),
		Recent: [][]byte{AppendDanmaku(nil, &Danmaku{ID: "a", User: "u", Text: "x"})}, Pinned: Pinned{Text: "sale!", At: 1}, Online: 3}
	var got map[string]any
	if err := json.Unmarshal(AppendWelcome(nil, w), &got); err != nil {
		t.Fatal(err)
	}
	if got["type"] != TypeWelcome || got["state"] != "live" || len(got["recent"].([]any)) != 1 || got["pinned"].(map[string]any)["text"] != "sale!" {
		t.Fatalf("welcome = %v", got)
	}
	for _, b := range [][]byte{AppendError(nil, "c", "m", "r"), AppendAck(nil, "r", "i"), AppendState(nil, "live"),
		AppendDelete(nil, "m"), AppendPinned(nil, Pinned{Text: "p"}), AppendTicker(nil, Ticker{ProductTitle: "t", City: "c", Quantity: 2}),
		AppendCard(nil, json.RawMessage(`{"a":1}`)), AppendPong(nil, "")} {
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil || v["v"] != float64(1) {
			t.Fatalf("%s: %v", b, err)
		}
	}
}
