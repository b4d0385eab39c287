package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// NotifyConfig configures the reminder scheduler and the notifiers that
// deliver its messages. Each notifier is on when its address is set.
type NotifyConfig struct {
	// ReminderBefore lists when start reminders go out before a show.
	ReminderBefore []time.Duration
	// ReminderPoll is how often due reminders are looked for.
	ReminderPoll time.Duration
	// ReminderLease is how long a node holds a reminder it is sending
	// before another node may take it.
	ReminderLease time.Duration

	// WebhookURL is the shop backend's endpoint for signed deliveries.
	WebhookURL string
	// WebhookSecret keys their HMAC-SHA256 signature (at least 32 bytes).
	WebhookSecret   string
	WebhookTimeout  time.Duration
	WebhookAttempts int
	// WebhookMaxBytes refuses a larger message body.
	WebhookMaxBytes int

	// SMTPAddr (host:port) turns e-mail on.
	SMTPAddr string
	// SMTPTLS is starttls, tls or none.
	SMTPTLS      string
	SMTPUsername string
	SMTPPassword string
	SMTPFrom     string

	// WeChatAppID and WeChatSecret (the mini program's) turn subscribe
	// messages on; WeChatTemplates maps kinds to templates (JSON).
	WeChatAppID     string
	WeChatSecret    string
	WeChatTemplates string
	WeChatState     string
}

func notifyDefaults() NotifyConfig {
	return NotifyConfig{
		ReminderBefore:  []time.Duration{24 * time.Hour, time.Hour},
		ReminderPoll:    time.Second,
		ReminderLease:   2 * time.Minute,
		WebhookTimeout:  5 * time.Second,
		WebhookAttempts: 3,
		WebhookMaxBytes: 16 << 10,
		SMTPTLS:         "starttls",
		WeChatState:     "formal",
	}
}

func (c *Config) notifySettings() []setting {
	n := &c.Notify
	return []setting{
		{"reminder-before", envs("REMINDER_BEFORE"), "comma-separated durations before a show's start at which ticket holders are reminded", (*durationList)(&n.ReminderBefore)},
		{"reminder-poll", envs("REMINDER_POLL"), "how often each node looks for due reminders", (*durationValue)(&n.ReminderPoll)},
		{"reminder-lease", envs("REMINDER_LEASE"), "how long a node holds a reminder it is sending before another node may send it (a crashed node's sends are retried after this)", (*durationValue)(&n.ReminderLease)},
		{"notify-webhook-url", envs("NOTIFY_WEBHOOK_URL"), "the shop backend's URL for signed reminder deliveries (it relays them to SMS or app push); empty = off", (*stringValue)(&n.WebhookURL)},
		{"notify-webhook-secret", envs("NOTIFY_WEBHOOK_SECRET"), "HMAC-SHA256 key of the X-Livesell-Signature header of webhook deliveries (at least 32 bytes)", (*stringValue)(&n.WebhookSecret)},
		{"notify-webhook-timeout", envs("NOTIFY_WEBHOOK_TIMEOUT"), "time limit of one webhook request", (*durationValue)(&n.WebhookTimeout)},
		{"notify-webhook-attempts", envs("NOTIFY_WEBHOOK_ATTEMPTS"), "webhook tries per delivery (with backoff) before the reminder is retried later", (*intValue)(&n.WebhookAttempts)},
		{"notify-webhook-max-bytes", envs("NOTIFY_WEBHOOK_MAX_BYTES"), "largest webhook body sent", (*intValue)(&n.WebhookMaxBytes)},
		{"notify-smtp-addr", envs("NOTIFY_SMTP_ADDR"), "SMTP server host:port for reminder e-mails; empty = off", (*stringValue)(&n.SMTPAddr)},
		{"notify-smtp-tls", envs("NOTIFY_SMTP_TLS"), "starttls, tls (implicit, port 465) or none (a relay on loopback only)", (*stringValue)(&n.SMTPTLS)},
		{"notify-smtp-username", envs("NOTIFY_SMTP_USERNAME"), "SMTP AUTH PLAIN user (empty: no AUTH)", (*stringValue)(&n.SMTPUsername)},
		{"notify-smtp-password", envs("NOTIFY_SMTP_PASSWORD"), "SMTP AUTH PLAIN password", (*stringValue)(&n.SMTPPassword)},
		{"notify-smtp-from", envs("NOTIFY_SMTP_FROM"), "sender address of reminder e-mails", (*stringValue)(&n.SMTPFrom)},
		{"notify-wechat-appid", envs("NOTIFY_WECHAT_APPID"), "WeChat mini program app id for subscribe messages; empty = off", (*stringValue)(&n.WeChatAppID)},
		{"notify-wechat-secret", envs("NOTIFY_WECHAT_SECRET"), "WeChat mini program app secret (fetches the access token)", (*stringValue)(&n.WeChatSecret)},
		{"notify-wechat-templates", envs("NOTIFY_WECHAT_TEMPLATES"), `JSON of kind → subscribe-message template, e.g. {"start":{"id":"TPL","page":"pages/live?room={room}","data":{"thing1":"title","time2":"starts_at"}}}`, (*stringValue)(&n.WeChatTemplates)},
		{"notify-wechat-state", envs("NOTIFY_WECHAT_STATE"), "miniprogram_state of subscribe messages: formal, trial or developer", (*stringValue)(&n.WeChatState)},
	}
}

func (n NotifyConfig) validate() []error {
	var errs []error
	for _, b := range n.ReminderBefore {
		if b < time.Minute {
			errs = append(errs, fmt.Errorf("reminder-before %s: each must be at least 1m", b))
		}
	}
	if n.ReminderPoll < 10*time.Millisecond || n.ReminderLease < time.Second {
		errs = append(errs, errors.New("reminder-poll must be at least 10ms and reminder-lease at least 1s"))
	}
	if n.WebhookURL != "" {
		u, err := url.Parse(n.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("notify-webhook-url must be an absolute http(s) URL"))
		}
		if len(n.WebhookSecret) < MinSecretBytes {
			errs = append(errs, fmt.Errorf("notify-webhook-secret must be at least %d bytes with notify-webhook-url", MinSecretBytes))
		}
	}
	if n.WebhookTimeout <= 0 || n.WebhookAttempts <= 0 || n.WebhookMaxBytes < 1024 {
		errs = append(errs, errors.New("notify-webhook-timeout and -attempts must be positive, notify-webhook-max-bytes at least 1024"))
	}
	if n.SMTPAddr != "" && !strings.Contains(n.SMTPFrom, "@") {
		errs = append(errs, errors.New("notify-smtp-from must be an e-mail address with notify-smtp-addr"))
	}
	switch n.SMTPTLS {
	case "starttls", "tls", "none":
	default:
		errs = append(errs, errors.New("notify-smtp-tls must be starttls, tls or none"))
	}
	if (n.WeChatAppID == "") != (n.WeChatSecret == "") {
		errs = append(errs, errors.New("notify-wechat-appid and notify-wechat-secret go together"))
	}
	if n.WeChatAppID != "" && strings.TrimSpace(n.WeChatTemplates) == "" {
		errs = append(errs, errors.New("notify-wechat-templates is required with notify-wechat-appid"))
	}
	return errs
}

// durationList is a comma-separated list of durations.
type durationList []time.Duration

func (v *durationList) String() string {
	parts := make([]string, len(*v))
	for i, d := range *v {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}

func (v *durationList) Set(s string) error {
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		d, err := time.ParseDuration(part)
		if err != nil {
			return fmt.Errorf("not a list of durations such as 24h,1h: %q", s)
		}
		out = append(out, d)
	}
	*v = out
	return nil
}
