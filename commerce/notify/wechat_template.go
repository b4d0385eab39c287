package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// WeChatTemplate is one subscribe-message template: its id, the mini
// program page the message opens ("{room}" becomes the room id) and which
// value fills each template field (field name → key of Message.Data, or
// "title", "starts_at", "room", "kind").
type WeChatTemplate struct {
	ID   string            `json:"id"`
	Page string            `json:"page,omitempty"`
	Data map[string]string `json:"data"`
}

// fill maps m's values into the template's fields, cut to the lengths the
// API accepts for the field's type (thing 20 characters, phrase 5, others 32).
func (t WeChatTemplate) fill(m Message) map[string]wxValue {
	out := make(map[string]wxValue, len(t.Data))
	for field, key := range t.Data {
		var v string
		switch key {
		case "starts_at":
			if !m.StartsAt.IsZero() {
				v = m.StartsAt.In(cst).Format("2006-01-02 15:04")
			}
		case "room":
			v = m.Room
		case "kind":
			v = m.Kind
		default:
			v = m.Data[key]
			if v == "" && key == "title" {
				v = m.Room
			}
		}
		out[field] = wxValue{Value: truncate(v, fieldLimit(field))}
	}
	return out
}

func fieldLimit(field string) int {
	switch {
	case strings.HasPrefix(field, "thing"):
		return 20
	case strings.HasPrefix(field, "phrase"):
		return 5
	default:
		return 32
	}
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// MaxWeChatTemplatesBytes bounds the configuration text ParseWeChatTemplates reads.
const MaxWeChatTemplatesBytes = 16 << 10

// ParseWeChatTemplates reads the templates from their configuration: a
// JSON object of kind → {"id", "page", "data": {field: key}}, e.g.
//
//	{"start": {"id": "TPL1", "page": "pages/live?room={room}",
//	           "data": {"thing1": "title", "time2": "starts_at"}}}
//
// Field names are letters then digits (thing1, time2); ids and keys are
// printable without spaces.
func ParseWeChatTemplates(s string) (map[string]WeChatTemplate, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if len(s) > MaxWeChatTemplatesBytes {
		return nil, fmt.Errorf("wechat templates: over %d bytes", MaxWeChatTemplatesBytes)
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	var m map[string]WeChatTemplate
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("wechat templates: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("wechat templates: trailing data")
	}
	for kind, t := range m {
		if !token(kind) {
			return nil, fmt.Errorf("wechat templates: kind %q is not a plain name", kind)
		}
		if !token(t.ID) {
			return nil, fmt.Errorf("wechat templates: %s: id %q is not a plain token", kind, t.ID)
		}
		if len(t.Data) == 0 {
			return nil, fmt.Errorf("wechat templates: %s: no data fields", kind)
		}
		for field, key := range t.Data {
			if !fieldName(field) {
				return nil, fmt.Errorf("wechat templates: %s: field %q is not letters then digits", kind, field)
			}
			if !token(key) {
				return nil, fmt.Errorf("wechat templates: %s: key %q of %s is not a plain name", kind, key, field)
			}
		}
		if len(t.Page) > 512 || strings.ContainsAny(t.Page, " \r\n\t") {
			return nil, fmt.Errorf("wechat templates: %s: page is not a path", kind)
		}
	}
	return m, nil
}

func token(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r > '~' {
			return false
		}
	}
	return true
}

func fieldName(s string) bool {
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] == '_') {
		i++
	}
	if i == 0 || i == len(s) || len(s) > 32 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
