package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// WeChatOptions configure the WeChat subscribe-message notifier.
type WeChatOptions struct {
	// BaseURL is the API's origin (default https://api.weixin.qq.com).
	BaseURL string
	// AppID and AppSecret are the mini program's credentials; the secret
	// fetches the access token and is never logged.
	AppID     string
	AppSecret string
	// Templates map each kind to its subscribe-message template
	// (ParseWeChatTemplates reads them from config). A kind without a
	// template is skipped on this channel.
	Templates map[string]WeChatTemplate
	// State is the miniprogram_state: formal (default), trial or developer.
	State string
	// Lang is the message language (default zh_CN).
	Lang string
	// Timeout bounds one HTTP request (default 5s).
	Timeout time.Duration
	Client  *http.Client
	Now     func() time.Time
}

// WeChat sends subscribe messages through the WeChat API, with the access
// token fetched once and cached until shortly before it expires.
type WeChat struct {
	opt WeChatOptions

	mu      sync.Mutex // serialises token fetches and guards token
	token   string
	expires time.Time
}

// NewWeChat returns the WeChat notifier.
func NewWeChat(opt WeChatOptions) (*WeChat, error) {
	if opt.AppID == "" || opt.AppSecret == "" {
		return nil, errors.New("notify: wechat app id and secret are required")
	}
	if opt.BaseURL == "" {
		opt.BaseURL = "https://api.weixin.qq.com"
	}
	opt.BaseURL = strings.TrimRight(opt.BaseURL, "/")
	if opt.State == "" {
		opt.State = "formal"
	}
	if opt.Lang == "" {
		opt.Lang = "zh_CN"
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 5 * time.Second
	}
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: opt.Timeout}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &WeChat{opt: opt}, nil
}

// Name is "wechat".
func (w *WeChat) Name() string { return "wechat" }

// wxValue is one field of a subscribe message's data.
type wxValue struct {
	Value string `json:"value"`
}

type wxSend struct {
	ToUser           string             `json:"touser"`
	TemplateID       string             `json:"template_id"`
	Page             string             `json:"page,omitempty"`
	Data             map[string]wxValue `json:"data"`
	MiniprogramState string             `json:"miniprogram_state"`
	Lang             string             `json:"lang"`
}

type wxReply struct {
	ErrCode     int    `json:"errcode"`
	ErrMsg      string `json:"errmsg"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
}

// Token errors: the cached token is stale and is fetched again once.
func tokenInvalid(code int) bool { return code == 40001 || code == 40014 || code == 42001 }

// Send posts m as a subscribe message to m.To.WeChatOpenID.
func (w *WeChat) Send(ctx context.Context, m Message) error {
	tpl, ok := w.opt.Templates[m.Kind]
	if !ok && strings.HasPrefix(m.Kind, "start_") {
		tpl, ok = w.opt.Templates["start"]
	}
	if !ok {
		return permanent("wechat: no template for kind %q", m.Kind)
	}
	if m.To.WeChatOpenID == "" {
		return ErrNoAddress
	}
	body, err := json.Marshal(wxSend{
		ToUser: m.To.WeChatOpenID, TemplateID: tpl.ID, Page: strings.ReplaceAll(tpl.Page, "{room}", url.QueryEscape(m.Room)),
		Data: tpl.fill(m), MiniprogramState: w.opt.State, Lang: w.opt.Lang,
	})
	if err != nil {
		return permanent("wechat body: %v", err)
	}
	for try := 0; try < 2; try++ {
		token, err := w.accessToken(ctx, try > 0)
		if err != nil {
			return err
		}
		var r wxReply
		if err := w.call(ctx, http.MethodPost, "/cgi-bin/message/subscribe/send?access_token="+url.QueryEscape(token), body, &r); err != nil {
			return err
		}
		switch {
		case r.ErrCode == 0:
			return nil
		case tokenInvalid(r.ErrCode):
			continue
		case r.ErrCode == -1 || r.ErrCode == 45009:
			return fmt.Errorf("notify: wechat busy (errcode %d)", r.ErrCode)
		default:
			// 43101 (the user has not subscribed), 40003 (bad openid),
			// 47003 (data does not fit the template) …
			return permanent("wechat errcode %d: %s", r.ErrCode, r.ErrMsg)
		}
	}
	return errors.New("notify: wechat access token refused twice")
}

// accessToken returns the cached token, or fetches one (always when
// refresh is set). Fetches are serialised: many senders wait for one.
func (w *WeChat) accessToken(ctx context.Context, refresh bool) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.opt.Now()
	if !refresh && w.token != "" && now.Before(w.expires) {
		return w.token, nil
	}
	q := url.Values{"grant_type": {"client_credential"}, "appid": {w.opt.AppID}, "secret": {w.opt.AppSecret}}
	var r wxReply
	if err := w.call(ctx, http.MethodGet, "/cgi-bin/token?"+q.Encode(), nil, &r); err != nil {
		return "", err
	}
	if r.ErrCode != 0 || r.AccessToken == "" {
		w.token = ""
		return "", fmt.Errorf("notify: wechat token: errcode %d: %s", r.ErrCode, r.ErrMsg)
	}
	life := time.Duration(r.ExpiresIn) * time.Second
	if life <= 0 || life > 2*time.Hour {
		life = 2 * time.Hour
	}
	// Renew five minutes early (or at half the lifetime, if shorter).
	margin := min(5*time.Minute, life/2)
	w.token, w.expires = r.AccessToken, now.Add(life-margin)
	return w.token, nil
}

// call makes one request and decodes the JSON reply. The URL carries the
// secret or token: errors name only the path.
func (w *WeChat) call(ctx context.Context, method, pathQuery string, body []byte, out *wxReply) error {
	ctx, cancel := context.WithTimeout(ctx, w.opt.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, w.opt.BaseURL+pathQuery, rd)
	if err != nil {
		return permanent("wechat request: bad base url")
	}
	path, _, _ := strings.Cut(pathQuery, "?")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := w.opt.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the URL, which holds the token or secret
		}
		return fmt.Errorf("notify: wechat %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("notify: wechat %s: http %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(out); err != nil {
		return fmt.Errorf("notify: wechat %s: reply: %w", path, err)
	}
	return nil
}
