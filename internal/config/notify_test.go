package config

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestNotifySettingsFromEnvironment(t *testing.T) {
	env := map[string]string{
		"LIVESELL_REMINDER_BEFORE":       "48h, 2h,30m",
		"LIVESELL_NOTIFY_WEBHOOK_URL":    "https://shop.example/hooks/livesell",
		"LIVESELL_NOTIFY_WEBHOOK_SECRET": strings.Repeat("s", 32),
		"LIVESELL_NOTIFY_SMTP_ADDR":      "smtp.example:587",
		"LIVESELL_NOTIFY_SMTP_FROM":      "shows@shop.example",
	}
	c, err := Load(nil, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Notify.ReminderBefore; len(got) != 3 || got[0] != 48*time.Hour || got[2] != 30*time.Minute {
		t.Fatalf("reminder-before %v", got)
	}
	if c.Notify.WebhookURL != env["LIVESELL_NOTIFY_WEBHOOK_URL"] || c.Notify.SMTPTLS != "starttls" || c.Notify.WebhookAttempts != 3 {
		t.Fatalf("notify %+v", c.Notify)
	}
}

func TestNotifySettingsRefused(t *testing.T) {
	cases := map[string]func(*NotifyConfig){
		"short webhook secret": func(n *NotifyConfig) { n.WebhookURL, n.WebhookSecret = "https://x.example/h", "short" },
		"webhook not a url":    func(n *NotifyConfig) { n.WebhookURL, n.WebhookSecret = "x.example/h", strings.Repeat("s", 32) },
		"reminder too close":   func(n *NotifyConfig) { n.ReminderBefore = []time.Duration{time.Second} },
		"smtp without from":    func(n *NotifyConfig) { n.SMTPAddr = "smtp.example:25" },
		"smtp tls mode":        func(n *NotifyConfig) { n.SMTPTLS = "ssl" },
		"wechat without secret": func(n *NotifyConfig) {
			n.WeChatAppID, n.WeChatTemplates = "wx1", `{"start":{"id":"T","data":{"thing1":"title"}}}`
		},
		"wechat without templates": func(n *NotifyConfig) { n.WeChatAppID, n.WeChatSecret = "wx1", "secret" },
	}
	for name, mod := range cases {
		c := Default()
		mod(&c.Notify)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := Default().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
}

func FuzzReminderBefore(f *testing.F) {
	f.Add("24h,1h")
	f.Add(" 90m , ,2h30m")
	f.Add("1h,x")
	f.Fuzz(func(t *testing.T, s string) {
		var v durationList
		if err := v.Set(s); err != nil {
			return
		}
		var again durationList
		if err := again.Set(v.String()); err != nil || again.String() != v.String() {
			t.Fatalf("%q → %q does not parse back (%v)", s, v.String(), err)
		}
	})
}
