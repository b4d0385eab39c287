package notify

import (
	"fmt"
	"strings"
	"text/template"
	"time"
)

// Template is the subject and body of one kind of message, in text/template
// syntax over TemplateData.
type Template struct {
	Subject string
	Body    string
}

// Templates are the templates of each kind; "" is the fallback of a kind
// without its own.
type Templates map[string]Template

// TemplateData is what a template sees.
type TemplateData struct {
	Kind, Room, UserID string
	// Title is Data["title"], or the room id.
	Title string
	// StartsAt is the start time in China Standard Time (most shops'
	// viewers), "2006-01-02 15:04"; empty when unknown.
	StartsAt string
	// Data are the message's values.
	Data map[string]string
}

var cst = time.FixedZone("CST", 8*3600)

// DefaultTemplates are bilingual (zh-CN first, then English) templates of
// the kinds the scheduler sends.
func DefaultTemplates() Templates {
	return Templates{
		"confirmation": {
			Subject: "购票成功 / Ticket confirmed: {{.Title}}",
			Body:    "您已获得《{{.Title}}》的观看资格{{with .Data.tier}}（{{.}}）{{end}}。开播时间：{{.StartsAt}}（北京时间）。\n\nYou have a ticket for \"{{.Title}}\"{{with .Data.tier}} ({{.}}){{end}}. It starts at {{.StartsAt}} (China Standard Time).\n{{with .Data.url}}\n{{.}}\n{{end}}",
		},
		"start": {
			Subject: "即将开播 / Starting soon: {{.Title}}",
			Body:    "《{{.Title}}》将于 {{.StartsAt}}（北京时间）开播，记得准时来看。\n\n\"{{.Title}}\" starts at {{.StartsAt}} (China Standard Time). See you there.\n{{with .Data.url}}\n{{.}}\n{{end}}",
		},
		"balance_due": {
			Subject: "请支付尾款 / Balance due: {{.Title}}",
			Body:    "您为《{{.Title}}》支付的定金已锁定名额，请在 {{.Data.due_at}} 前支付尾款{{with .Data.amount}} {{.}}{{end}}，逾期名额将被释放。\n\nYour deposit holds a place at \"{{.Title}}\". Please pay the balance{{with .Data.amount}} of {{.}}{{end}} before {{.Data.due_at}}, or the place is released.\n{{with .Data.url}}\n{{.}}\n{{end}}",
		},
		"show_cancelled": {
			Subject: "直播已取消 / Show cancelled: {{.Title}}",
			Body:    "很抱歉，《{{.Title}}》已取消，您的票款将原路退回。\n\nWe are sorry: \"{{.Title}}\" has been cancelled. Your ticket will be refunded.\n",
		},
		"": {
			Subject: "{{.Title}}",
			Body:    "{{.Title}} {{.StartsAt}}\n",
		},
	}
}

// Render fills the template of m's kind (start_* kinds share "start").
func (ts Templates) Render(m Message) (subject, body string, err error) {
	key := m.Kind
	if strings.HasPrefix(key, "start_") {
		key = "start"
	}
	t, ok := ts[m.Kind]
	if !ok {
		if t, ok = ts[key]; !ok {
			t = ts[""]
		}
	}
	d := TemplateData{Kind: m.Kind, Room: m.Room, UserID: m.UserID, Title: m.Data["title"], Data: m.Data}
	if d.Title == "" {
		d.Title = m.Room
	}
	if !m.StartsAt.IsZero() {
		d.StartsAt = m.StartsAt.In(cst).Format("2006-01-02 15:04")
	}
	if subject, err = execute("subject", t.Subject, d); err != nil {
		return "", "", err
	}
	if body, err = execute("body", t.Body, d); err != nil {
		return "", "", err
	}
	// A title with a line break must not split the subject header.
	subject = strings.NewReplacer("\r", " ", "\n", " ").Replace(subject)
	return subject, body, nil
}

func execute(name, text string, d TemplateData) (string, error) {
	t, err := template.New(name).Option("missingkey=zero").Parse(text)
	if err != nil {
		return "", fmt.Errorf("%s template: %w", name, err)
	}
	var b strings.Builder
	if err := t.Execute(&b, d); err != nil {
		return "", fmt.Errorf("%s template: %w", name, err)
	}
	return b.String(), nil
}
