package protocol

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The JSON examples of docs/protocol.md are valid messages of this
// version, and every message type and error code the code defines is
// documented there.
func TestProtocolDoc(t *testing.T) {
	raw, err := os.ReadFile("../../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	blocks := strings.Split(doc, "```json\n")[1:]
	if len(blocks) < 2 {
		t.Fatalf("docs/protocol.md has %d JSON examples", len(blocks))
	}
	for _, b := range blocks {
		body := b[:strings.Index(b, "```")]
		var m map[string]any
		if err := json.Unmarshal([]byte(strings.ReplaceAll(body, `"…"`, `""`)), &m); err != nil {
			t.Fatalf("example is not JSON: %v\n%s", err, body)
		}
		if m["v"] != float64(Version) || m["type"] == nil {
			t.Fatalf("example without v=1 and type: %s", body)
		}
	}
	for _, name := range []string{TypeHello, TypeDanmaku, TypeLike, TypeClick, TypeWant, TypePin, TypeDelete, TypeMute, TypeBan, TypePing,
		TypeWelcome, TypeBatch, TypeCard, TypeTicker, TypeNotice, TypeState, TypePinned, TypeError, TypeAck, TypePong,
		CodeInvalidMessage, CodeTooLong, CodeBlockedWord, CodeRateLimited, CodeMuted, CodeBanned, CodeLoginRequired, CodeForbidden, CodeInvalidToken, CodeInternal} {
		if !strings.Contains(doc, "`"+name+"`") {
			t.Errorf("docs/protocol.md does not document `%s`", name)
		}
	}
	// The welcome example is what AppendWelcome writes, field for field.
	var w map[string]any
	json.Unmarshal(AppendWelcome(nil, &Welcome{Room: "r", You: You{UserID: "u"}, State: "live"}), &w)
	example := ""
	for _, b := range blocks {
		if strings.Contains(b, `"type":"welcome"`) {
			example = b
		}
	}
	for k := range w {
		if !strings.Contains(example, `"`+k+`"`) {
			t.Errorf("the welcome example lacks field %q", k)
		}
	}
}
