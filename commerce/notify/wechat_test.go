package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/notify"
)

// wxStandIn is a local stand-in of the WeChat API that checks the shape of
// each request the way the real one does, and answers as it documents.
type wxStandIn struct {
	t *testing.T

	mu        sync.Mutex
	tokens    int    // token fetches
	current   string // the valid access token
	expireNow bool   // the next send answers 42001 (token expired)
	refuse    map[string]int
	sent      []map[string]any
}

const (
	wxAppID  = "wx0123456789abcdef"
	wxSecret = "app-secret-of-the-mini-program"
)

func (s *wxStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	reply := func(v any) { w.Header().Set("Content-Type", "application/json"); json.NewEncoder(w).Encode(v) }
	switch r.URL.Path {
	case "/cgi-bin/token":
		q := r.URL.Query()
		if r.Method != http.MethodGet || q.Get("grant_type") != "client_credential" || q.Get("appid") != wxAppID {
			s.t.Errorf("token request %s %s", r.Method, r.URL.RawQuery)
		}
		if q.Get("secret") != wxSecret {
			reply(map[string]any{"errcode": 40125, "errmsg": "invalid appsecret"})
			return
		}
		s.tokens++
		s.current = fmt.Sprintf("ACCESS_TOKEN_%d", s.tokens)
		reply(map[string]any{"access_token": s.current, "expires_in": 7200})
	case "/cgi-bin/message/subscribe/send":
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			s.t.Errorf("send request %s %q", r.Method, r.Header.Get("Content-Type"))
		}
		if tok := r.URL.Query().Get("access_token"); tok != s.current || s.expireNow {
			s.expireNow = false
			reply(map[string]any{"errcode": 42001, "errmsg": "access_token expired"})
			return
		}
		var body struct {
			ToUser           string                       `json:"touser"`
			TemplateID       string                       `json:"template_id"`
			Page             string                       `json:"page"`
			Data             map[string]map[string]string `json:"data"`
			MiniprogramState string                       `json:"miniprogram_state"`
			Lang             string                       `json:"lang"`
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			s.t.Errorf("send body: %v", err)
			reply(map[string]any{"errcode": 47001, "errmsg": "data format error"})
			return
		}
		if body.ToUser == "" || body.TemplateID == "" || len(body.Data) == 0 {
			reply(map[string]any{"errcode": 47003, "errmsg": "argument invalid"})
			return
		}
		for k, v := range body.Data {
			if _, ok := v["value"]; !ok || len(v) != 1 {
				s.t.Errorf("data field %s = %v, want {value}", k, v)
			}
		}
		if code := s.refuse[body.ToUser]; code != 0 {
			reply(map[string]any{"errcode": code, "errmsg": "user refuse to accept the msg"})
			return
		}
		s.sent = append(s.sent, map[string]any{"touser": body.ToUser, "template_id": body.TemplateID, "page": body.Page,
			"data": body.Data, "state": body.MiniprogramState, "lang": body.Lang})
		reply(map[string]any{"errcode": 0, "errmsg": "ok", "msgid": 1})
	default:
		http.NotFound(w, r)
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestWeChatSubscribeMessage(t *testing.T) {
	api := &wxStandIn{t: t, refuse: map[string]int{"o_refused": 43101}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	tpls, err := notify.ParseWeChatTemplates(`{"start": {"id": "TPL_START", "page": "pages/live/index?room={room}",
		"data": {"thing1": "title", "time2": "starts_at", "thing3": "tier"}}}`)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}
	wx, err := notify.NewWeChat(notify.WeChatOptions{BaseURL: srv.URL, AppID: wxAppID, AppSecret: wxSecret, Templates: tpls, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m := msg("rm_w")
	m.Data["title"] = "一场名字非常非常非常非常非常长的新品发布会直播"
	m.To.WeChatOpenID = "o_fan"
	for i := 0; i < 3; i++ {
		if err := wx.Send(ctx, m); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	api.mu.Lock()
	if api.tokens != 1 || len(api.sent) != 3 {
		t.Fatalf("3 sends: %d token fetches, %d sent; want 1 fetch (cached), 3 sent", api.tokens, len(api.sent))
	}
	got := api.sent[0]
	data := got["data"].(map[string]map[string]string)
	if got["touser"] != "o_fan" || got["template_id"] != "TPL_START" || got["page"] != "pages/live/index?room=launch" || got["state"] != "formal" || got["lang"] != "zh_CN" {
		t.Fatalf("sent %v", got)
	}
	if len([]rune(data["thing1"]["value"])) != 20 || data["time2"]["value"] != "2026-12-08 20:00" || data["thing3"]["value"] != "vip" {
		t.Fatalf("data %v", data)
	}
	api.expireNow = true
	api.mu.Unlock()

	// An expired token (42001) is fetched again once and the send retried.
	if err := wx.Send(ctx, m); err != nil {
		t.Fatalf("after 42001: %v", err)
	}
	// Past its lifetime the cached token is renewed before use.
	clock.Advance(2 * time.Hour)
	if err := wx.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	api.mu.Lock()
	if api.tokens != 3 || len(api.sent) != 5 {
		t.Fatalf("token fetches %d (want 3), sent %d (want 5)", api.tokens, len(api.sent))
	}
	api.mu.Unlock()

	// A user who did not subscribe (43101), a kind without a template and a
	// user without an openid are permanent.
	m.To.WeChatOpenID = "o_refused"
	if err := wx.Send(ctx, m); !errors.Is(err, notify.ErrPermanent) {
		t.Errorf("43101: %v", err)
	}
	m.To.WeChatOpenID, m.Kind = "o_fan", "balance_due"
	if err := wx.Send(ctx, m); !errors.Is(err, notify.ErrPermanent) {
		t.Errorf("no template: %v", err)
	}
	m.To.WeChatOpenID, m.Kind = "", "start_1h"
	if err := wx.Send(ctx, m); !errors.Is(err, notify.ErrNoAddress) {
		t.Errorf("no openid: %v", err)
	}
	// A wrong secret fails without the secret in the error.
	bad, _ := notify.NewWeChat(notify.WeChatOptions{BaseURL: srv.URL, AppID: wxAppID, AppSecret: "wrong-secret-value", Templates: tpls})
	m.To.WeChatOpenID = "o_fan"
	err = bad.Send(ctx, m)
	if err == nil || containsAny(err.Error(), "wrong-secret-value", wxSecret) {
		t.Errorf("wrong secret: %v", err)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

func TestParseWeChatTemplates(t *testing.T) {
	cases := []struct {
		in string
		ok bool
	}{
		{``, true},
		{`{"start": {"id": "T1", "data": {"thing1": "title"}}}`, true},
		{`{"start": {"id": "T1", "data": {}}}`, false},
		{`{"start": {"id": "T 1", "data": {"thing1": "title"}}}`, false},
		{`{"start": {"id": "T1", "data": {"thing": "title"}}}`, false},
		{`{"start": {"id": "T1", "data": {"1thing": "title"}}}`, false},
		{`{"start": {"id": "T1", "data": {"thing1": "title"}, "extra": 1}}`, false},
		{`{"start": {"id": "T1", "data": {"thing1": "title"}}} {}`, false},
		{`[]`, false},
	}
	for _, c := range cases {
		_, err := notify.ParseWeChatTemplates(c.in)
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", c.in, err, c.ok)
		}
	}
}

func FuzzParseWeChatTemplates(f *testing.F) {
	f.Add(`{"start": {"id": "T1", "page": "p?room={room}", "data": {"thing1": "title", "time2": "starts_at"}}}`)
	f.Add(`{"": {"id": "", "data": {"": ""}}}`)
	f.Add(`{"a":{"id":"b","data":{"c9":"d"}}}`)
	f.Fuzz(func(t *testing.T, s string) {
		m, err := notify.ParseWeChatTemplates(s)
		if err != nil {
			return
		}
		for kind, tpl := range m {
			if kind == "" || tpl.ID == "" || len(tpl.Data) == 0 {
				t.Fatalf("accepted an empty kind, id or data: %q", s)
			}
		}
	})
}
