package notify_test

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/livesell/livesell/commerce/notify"
	"github.com/livesell/livesell/commerce/notify/notifytest"
)

func newEmail(t *testing.T, addr, user, pass string) *notify.Email {
	t.Helper()
	e, err := notify.NewEmail(notify.EmailOptions{Addr: addr, TLS: notify.SMTPPlain, Username: user, Password: pass,
		From: "直播间 <shows@shop.example>", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestEmailDelivered: a real SMTP server (go-smtp, in this process) gets
// the mail after AUTH PLAIN, with the UTF-8 subject and body decoded and
// the idempotency id in Message-ID and X-Livesell-Id.
func TestEmailDelivered(t *testing.T) {
	srv := notifytest.StartSMTP(t, "mailer", "mail-password")
	m := msg("rm_abc")
	m.To = notify.Recipient{Email: "fan@example.com"}
	if err := newEmail(t, srv.Addr, "mailer", "mail-password").Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	mails := srv.Mails()
	if len(mails) != 1 {
		t.Fatalf("%d mails", len(mails))
	}
	got := mails[0]
	if got.To != "fan@example.com" || got.From != "shows@shop.example" || got.AuthedUser != "mailer" {
		t.Fatalf("envelope %q → %q as %q", got.From, got.To, got.AuthedUser)
	}
	if got.ID != "rm_abc" || got.MessageID != "<rm_abc@livesell>" {
		t.Fatalf("ids %q %q", got.ID, got.MessageID)
	}
	if !strings.Contains(got.Subject, "新品发布会") || !strings.Contains(got.Subject, "Starting soon") {
		t.Fatalf("subject %q", got.Subject)
	}
	// 12:00 UTC is 20:00 in China.
	if !strings.Contains(got.Body, "2026-12-08 20:00") || !strings.Contains(got.Body, "《新品发布会》") {
		t.Fatalf("body %q", got.Body)
	}
	if !strings.HasPrefix(got.ContentType, "text/plain; charset=utf-8") {
		t.Fatalf("content type %q", got.ContentType)
	}
}

// TestEmailFailures: wrong credentials and a refused recipient are
// permanent; a user without an address is ErrNoAddress; a server that is
// down is retryable.
func TestEmailFailures(t *testing.T) {
	srv := notifytest.StartSMTP(t, "mailer", "mail-password")
	srv.RejectRcpt = func(to string) error {
		if strings.HasPrefix(to, "gone@") {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	}
	ctx := context.Background()
	m := msg("rm_x")
	m.To.Email = "fan@example.com"
	if err := newEmail(t, srv.Addr, "mailer", "wrong").Send(ctx, m); !errors.Is(err, notify.ErrPermanent) {
		t.Errorf("wrong password: %v", err)
	}
	m.To.Email = "gone@example.com"
	if err := newEmail(t, srv.Addr, "mailer", "mail-password").Send(ctx, m); !errors.Is(err, notify.ErrPermanent) {
		t.Errorf("refused recipient: %v", err)
	}
	m.To.Email = ""
	if err := newEmail(t, srv.Addr, "mailer", "mail-password").Send(ctx, m); !errors.Is(err, notify.ErrNoAddress) {
		t.Errorf("no address: %v", err)
	}
	m.To.Email = "fan@example.com\r\nBcc: all@example.com"
	if err := newEmail(t, srv.Addr, "mailer", "mail-password").Send(ctx, m); !errors.Is(err, notify.ErrPermanent) {
		t.Errorf("header injection in the address: %v", err)
	}
	if n := len(srv.Mails()); n != 0 {
		t.Errorf("%d mails arrived, want none", n)
	}
	down := newEmail(t, "127.0.0.1:1", "", "")
	m.To.Email = "fan@example.com"
	if err := down.Send(ctx, m); err == nil || errors.Is(err, notify.ErrPermanent) {
		t.Errorf("server down: %v", err)
	}
}

func TestTemplatesRender(t *testing.T) {
	ts := notify.DefaultTemplates()
	cases := []struct {
		kind string
		data map[string]string
		want []string
	}{
		{"confirmation", map[string]string{"title": "发布会", "tier": "VIP"}, []string{"《发布会》", "（VIP）", "2026-12-08 20:00"}},
		{"start_24h", map[string]string{"title": "发布会"}, []string{"将于 2026-12-08 20:00"}},
		{"balance_due", map[string]string{"title": "发布会", "due_at": "2026-12-07 20:00", "amount": "¥80.00"}, []string{"2026-12-07 20:00 前支付尾款 ¥80.00"}},
		{"show_cancelled", map[string]string{"title": "发布会"}, []string{"已取消"}},
		{"something_else", map[string]string{"title": "发布会"}, []string{"发布会"}},
	}
	for _, c := range cases {
		m := notify.Message{ID: "x", Kind: c.kind, Room: "r", StartsAt: time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC), Data: c.data}
		subject, body, err := ts.Render(m)
		if err != nil {
			t.Fatalf("%s: %v", c.kind, err)
		}
		for _, w := range c.want {
			if !strings.Contains(body, w) && !strings.Contains(subject, w) {
				t.Errorf("%s: %q not in %q / %q", c.kind, w, subject, body)
			}
		}
	}
	// A title with a line break does not break the subject line.
	subject, _, _ := ts.Render(notify.Message{Kind: "start_1h", Data: map[string]string{"title": "a\r\nBcc: x"}})
	if strings.ContainsAny(subject, "\r\n") {
		t.Fatalf("subject %q has a line break", subject)
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{0: time.Second, 1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 6: 30 * time.Second, 100: 30 * time.Second} {
		if got := notify.Backoff(n, time.Second, 30*time.Second); got != want {
			t.Errorf("Backoff(%d) = %s, want %s", n, got, want)
		}
	}
}

// TestEmailStartTLS: the default mode upgrades with STARTTLS, verifying the
// server's certificate, before AUTH; a certificate it does not trust is
// refused before anything is sent.
func TestEmailStartTLS(t *testing.T) {
	srv, pool := notifytest.StartSMTPTLS(t, "mailer", "mail-password")
	m := msg("rm_tls")
	m.To.Email = "fan@example.com"
	e, err := notify.NewEmail(notify.EmailOptions{Addr: srv.Addr, Username: "mailer", Password: "mail-password",
		From: "shows@shop.example", TLSConfig: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if mails := srv.Mails(); len(mails) != 1 || !mails[0].TLS || mails[0].AuthedUser != "mailer" {
		t.Fatalf("mails %+v", mails)
	}
	untrusted, _ := notify.NewEmail(notify.EmailOptions{Addr: srv.Addr, Username: "mailer", Password: "mail-password", From: "shows@shop.example"})
	if err := untrusted.Send(context.Background(), m); err == nil {
		t.Fatal("sent to a server whose certificate is not trusted")
	}
	if n := len(srv.Mails()); n != 1 {
		t.Fatalf("%d mails", n)
	}
}
