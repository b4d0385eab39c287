package protocol

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		in   string
		code string // "" = accepted
		want Inbound
	}{
		{"danmaku", `{"v":1,"type":"danmaku","text":"hi","ref":"r1"}`, "", Inbound{V: 1, Type: TypeDanmaku, Text: "hi", Ref: "r1"}},
		{"like default count", `{"v":1,"type":"like"}`, "", Inbound{V: 1, Type: TypeLike, Count: 1}},
		{"like 100", `{"v":1,"type":"like","count":100}`, "", Inbound{V: 1, Type: TypeLike, Count: 100}},
		{"like too many", `{"v":1,"type":"like","count":101}`, CodeInvalidMessage, Inbound{}},
		{"like negative", `{"v":1,"type":"like","count":-1}`, CodeInvalidMessage, Inbound{}},
		{"click", `{"v":1,"type":"click","product_id":"p-1"}`, "", Inbound{V: 1, Type: TypeClick, ProductID: "p-1"}},
		{"want bad id", `{"v":1,"type":"want","product_id":"a b"}`, CodeInvalidMessage, Inbound{}},
		{"click no id", `{"v":1,"type":"click"}`, CodeInvalidMessage, Inbound{}},
		{"delete", `{"v":1,"type":"delete","message_id":"abc-1"}`, "", Inbound{V: 1, Type: TypeDelete, MessageID: "abc-1"}},
		{"mute", `{"v":1,"type":"mute","user_id":"u1","duration":60}`, "", Inbound{V: 1, Type: TypeMute, UserID: "u1", Duration: 60}},
		{"ban too long", `{"v":1,"type":"ban","user_id":"u1","duration":99999999}`, CodeInvalidMessage, Inbound{}},
		{"ban no user", `{"v":1,"type":"ban"}`, CodeInvalidMessage, Inbound{}},
		{"empty danmaku", `{"v":1,"type":"danmaku","text":""}`, CodeInvalidMessage, Inbound{}},
		{"no version", `{"type":"danmaku","text":"x"}`, CodeInvalidMessage, Inbound{}},
		{"version 2", `{"v":2,"type":"danmaku","text":"x"}`, CodeInvalidMessage, Inbound{}},
		{"unknown type", `{"v":1,"type":"explode"}`, CodeInvalidMessage, Inbound{}},
		{"no type", `{"v":1}`, CodeInvalidMessage, Inbound{}},
		{"not json", `hello`, CodeInvalidMessage, Inbound{}},
		{"array", `[1,2]`, CodeInvalidMessage, Inbound{}},
		{"wrong field type", `{"v":1,"type":"like","count":"3"}`, CodeInvalidMessage, Inbound{}},
		{"bad utf8", "{\"v\":1,\"type\":\"danmaku\",\"text\":\"\xff\"}", CodeInvalidMessage, Inbound{}},
		{"huge", `{"v":1,"type":"danmaku","text":"` + strings.Repeat("a", MaxMessageBytes) + `"}`, CodeTooLong, Inbound{}},
		{"long ref", `{"v":1,"type":"ping","ref":"` + strings.Repeat("r", 200) + `"}`, CodeInvalidMessage, Inbound{}},
		{"ping", `{"v":1,"type":"ping"}`, "", Inbound{V: 1, Type: TypePing}},
		{"hello", `{"v":1,"type":"hello","token":"t"}`, "", Inbound{V: 1, Type: TypeHello, Token: "t"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.in))
			if tt.code != "" {
				if err == nil || CodeOf(err) != tt.code {
					t.Fatalf("Decode = %+v, %v; want code %s", got, err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got != tt.want {
				t.Fatalf("Decode = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"type":"danmaku","text":"hi"}`, `{"v":1,"type":"like","count":3}`,
		`{"v":1,"type":"click","product_id":"p1"}`, `{"v":1,"type":"mute","user_id":"u","duration":5}`,
		`{"v":1,"type":"hello","token":"x","push_key":"y"}`, `{}`, `null`, `[`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			if CodeOf(err) == CodeInternal {
				t.Fatalf("Decode error without a protocol code: %v", err)
			}
			return
		}
		if m.V != Version || m.Type == "" {
			t.Fatalf("accepted message without version or type: %+v", m)
		}
		if m.Type == TypeLike && (m.Count < 1 || m.Count > MaxLikeCount) {
			t.Fatalf("accepted like count %d", m.Count)
		}
		if (m.Type == TypeClick || m.Type == TypeWant) && !ValidID(m.ProductID) {
			t.Fatalf("accepted product id %q", m.ProductID)
		}
		// An error event echoing the ref must be valid JSON.
		var v map[string]any
		if err := json.Unmarshal(AppendError(nil, CodeInvalidMessage, m.Text, m.Ref), &v); err != nil {
			t.Fatalf("error event is not JSON: %v", err)
		}
	})
}

func BenchmarkDecodeDanmaku(b *testing.B) {
	msg := []byte(`{"v":1,"type":"danmaku","text":"这件衣服多少钱？ is it silk?","ref":"r-123"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(msg); err != nil {
			b.Fatal(err)
		}
	}
}
