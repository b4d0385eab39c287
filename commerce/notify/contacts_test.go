package notify_test

import (
	"context"
	"testing"

	"github.com/livesell/livesell/commerce/notify"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

func TestContactsStore(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		if err := notify.Migrate(ctx, b.SQL); err != nil {
			t.Fatal(err)
		}
		c := notify.NewContacts(b.SQL)
		if r, err := c.Lookup(ctx, "u1"); err != nil || r != (notify.Recipient{}) {
			t.Fatalf("unknown user: %+v %v", r, err)
		}
		want := notify.Recipient{Email: "fan@example.com", WeChatOpenID: "oAbc_123"}
		if err := c.Set(ctx, "u1", want); err != nil {
			t.Fatal(err)
		}
		if err := c.Set(ctx, "u1", want); err != nil {
			t.Fatal(err)
		}
		if r, err := c.Lookup(ctx, "u1"); err != nil || r != want {
			t.Fatalf("after set: %+v %v", r, err)
		}
		if err := c.Set(ctx, "u1", notify.Recipient{}); err != nil {
			t.Fatal(err)
		}
		if r, _ := c.Lookup(ctx, "u1"); r != (notify.Recipient{}) {
			t.Fatalf("after delete: %+v", r)
		}
	})
}

func TestParseContact(t *testing.T) {
	cases := []struct {
		body string
		ok   bool
	}{
		{`{"email":"fan@example.com","wechat_openid":"oAbc-1_x"}`, true},
		{`{"email":"","wechat_openid":""}`, true},
		{`{"email":"Fan <fan@example.com>"}`, false},
		{`{"email":"fan@example.com\r\nBcc: x@example.com"}`, false},
		{`{"email":"not an address"}`, false},
		{`{"wechat_openid":"o abc"}`, false},
		{`{"user_id":"u2","email":"fan@example.com"}`, false},
		{`{"email":"fan@example.com","phone":"1"}`, false},
		{`[]`, false},
	}
	for _, c := range cases {
		_, err := notify.ParseContact([]byte(c.body))
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", c.body, err, c.ok)
		}
	}
}

func FuzzParseContact(f *testing.F) {
	f.Add([]byte(`{"email":"fan@example.com","wechat_openid":"oAbc"}`))
	f.Add([]byte(`{"email":"a@b"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := notify.ParseContact(body)
		if err != nil {
			return
		}
		for _, s := range []string{r.Email, r.WeChatOpenID} {
			for _, ch := range s {
				if ch == '\r' || ch == '\n' {
					t.Fatalf("accepted a line break: %q", body)
				}
			}
		}
	})
}
