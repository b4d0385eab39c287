package web

import (
	"context"
	"strings"
	"testing"
)

// A shared /live link carries Open Graph tags with the room's title
// (escaped) and state; an unknown or private room gets generic tags.
func TestShareTags(t *testing.T) {
	rooms := map[string]RoomInfo{
		"spring": {Title: `Spring <sale> & "more"`, State: "live"},
		"done":   {Title: "Winter", State: "ended"},
	}
	app := newApp(t, Options{Room: func(_ context.Context, id string) (RoomInfo, bool) { r, ok := rooms[id]; return r, ok }})
	for _, tc := range []struct {
		room      string
		want      []string
		forbidden string
	}{
		{"spring", []string{`<meta property="og:title" content="Spring &lt;sale&gt; &amp; &#34;more&#34;">`, `content="Live now — watch and shop."`, `/live/spring">`}, "<sale>"},
		{"done", []string{`<meta property="og:title" content="Winter">`, `content="This live has ended."`}, ""},
		{"private-or-unknown", []string{`<meta property="og:title" content="Live room">`, `content="Coming up live — watch and shop."`}, ""},
	} {
		resp, body := get(t, app, "/live/"+tc.room, nil)
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: status %d, type %s", tc.room, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors *") {
			t.Errorf("%s: CSP %q, want the framable one", tc.room, resp.Header.Get("Content-Security-Policy"))
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: page lacks %s", tc.room, w)
			}
		}
		if tc.forbidden != "" && strings.Contains(body, tc.forbidden) {
			t.Errorf("%s: the title went into the page unescaped", tc.room)
		}
		if strings.Contains(body, "<!-- share tags -->") {
			t.Errorf("%s: the share tags placeholder was not replaced", tc.room)
		}
	}
	if resp, _ := get(t, app, "/live/bad%20id", nil); resp.StatusCode != 404 {
		t.Errorf("a bad room id answered %d, want 404", resp.StatusCode)
	}
}
