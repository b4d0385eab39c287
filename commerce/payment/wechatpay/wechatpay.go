// Package wechatpay is the WeChat Pay (API v3) provider, written with the
// standard library: Begin places a Native order and returns its code_url as
// QR code content; requests are signed with the merchant key
// (WECHATPAY2-SHA256-RSA2048); callbacks are verified with RSA-SHA256 over
// "timestamp\nnonce\nbody\n" against the platform certificate and a
// timestamp window, their resource decrypted with AES-256-GCM and the API v3
// key, and answered {"code":"SUCCESS","message":"成功"} or FAIL.
package wechatpay

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/commerce/payment"
)

// Callback header names.
const (
	HeaderTimestamp = "Wechatpay-Timestamp"
	HeaderNonce     = "Wechatpay-Nonce"
	HeaderSignature = "Wechatpay-Signature"
	HeaderSerial    = "Wechatpay-Serial"
)

// Options configure the provider.
type Options struct {
	AppID    string
	MchID    string
	APIv3Key string // 32 bytes
	// PlatformCert verifies callbacks.
	PlatformCert *x509.Certificate
	// PrivateKey and SerialNo sign API requests.
	PrivateKey *rsa.PrivateKey
	SerialNo   string
	Window     time.Duration
	// BaseURL defaults to https://api.mch.weixin.qq.com.
	BaseURL    string
	HTTPClient *http.Client
}

// Provider is the WeChat Pay provider.
type Provider struct {
	o Options
}

// New checks o and returns the provider.
func New(o Options) (*Provider, error) {
	if len(o.APIv3Key) != 32 {
		return nil, fmt.Errorf("wechatpay: the API v3 key must be 32 bytes: %w", payment.ErrNotConfigured)
	}
	if o.PlatformCert == nil {
		return nil, fmt.Errorf("wechatpay: no platform certificate: %w", payment.ErrNotConfigured)
	}
	if _, ok := o.PlatformCert.PublicKey.(*rsa.PublicKey); !ok {
		return nil, errors.New("wechatpay: the platform certificate has no RSA key")
	}
	if o.BaseURL == "" {
		o.BaseURL = "https://api.mch.weixin.qq.com"
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &Provider{o: o}, nil
}

// ParseCertificate reads a PEM certificate.
func ParseCertificate(pemBytes []byte) (*x509.Certificate, error) {
	b, _ := pem.Decode(pemBytes)
	if b == nil {
		return nil, errors.New("wechatpay: no PEM certificate")
	}
	return x509.ParseCertificate(b.Bytes)
}

// ParsePrivateKey reads a PEM RSA private key (PKCS#8 or PKCS#1).
func ParsePrivateKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode(pemBytes)
	if b == nil {
		return nil, errors.New("wechatpay: no PEM private key")
	}
	if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("wechatpay: private key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("wechatpay: private key is not RSA")
	}
	return rk, nil
}

// Name is "wechatpay".
func (p *Provider) Name() string { return "wechatpay" }

type amount struct {
	Total    int64  `json:"total"`
	Currency string `json:"currency"`
}

// Begin places a Native order; the buyer scans the returned code_url.
func (p *Provider) Begin(ctx context.Context, c payment.Charge) (payment.Checkout, error) {
	req := map[string]any{
		"appid": p.o.AppID, "mchid": p.o.MchID, "description": truncate(c.Title, 120), "out_trade_no": c.PaymentID,
		"notify_url": strings.TrimRight(c.BaseURL, "/") + "/api/payments/wechatpay/callback",
		"amount":     amount{Total: c.AmountMinor, Currency: c.Currency},
	}
	var out struct {
		CodeURL string `json:"code_url"`
	}
	if err := p.call(ctx, http.MethodPost, "/v3/pay/transactions/native", req, &out); err != nil {
		return payment.Checkout{}, err
	}
	if out.CodeURL == "" {
		return payment.Checkout{}, errors.New("wechatpay: no code_url in the answer")
	}
	return payment.Checkout{PaymentID: c.PaymentID, Provider: p.Name(), QRCode: out.CodeURL, ProviderRef: c.PaymentID}, nil
}

// Refund asks for a full refund of the transaction.
func (p *Provider) Refund(ctx context.Context, r payment.Refund) error {
	req := map[string]any{
		"transaction_id": r.TransactionID,
		"out_refund_no":  truncate("rf"+strings.TrimPrefix(r.OrderID, "ord_"), 64),
		"reason":         truncate(r.Reason, 80),
		"amount":         map[string]any{"refund": r.AmountMinor, "total": r.AmountMinor, "currency": r.Currency},
	}
	return p.call(ctx, http.MethodPost, "/v3/refund/domestic/refunds", req, nil)
}

// truncate cuts s to at most n bytes without splitting a UTF-8 character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Authorization is the WECHATPAY2-SHA256-RSA2048 header of a request.
func (p *Provider) Authorization(method, path string, body []byte, t time.Time, nonce string) (string, error) {
	if p.o.PrivateKey == nil {
		return "", fmt.Errorf("wechatpay: no merchant private key: %w", payment.ErrNotConfigured)
	}
	ts := strconv.FormatInt(t.Unix(), 10)
	msg := method + "\n" + path + "\n" + ts + "\n" + nonce + "\n" + string(body) + "\n"
	sum := sha256.Sum256([]byte(msg))
	sig, err := rsa.SignPKCS1v15(rand.Reader, p.o.PrivateKey, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("wechatpay: sign: %w", err)
	}
	return fmt.Sprintf(`WECHATPAY2-SHA256-RSA2048 mchid="%s",nonce_str="%s",signature="%s",timestamp="%s",serial_no="%s"`,
		p.o.MchID, nonce, base64.StdEncoding.EncodeToString(sig), ts, p.o.SerialNo), nil
}

func (p *Provider) call(ctx context.Context, method, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("wechatpay: encode: %w", err)
	}
	nonce := ids.New("")[12:]
	auth, err := p.Authorization(method, path, body, time.Now(), nonce)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, p.o.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("wechatpay: %w", err)
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := p.o.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("wechatpay: %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("wechatpay: %s answered %d: %.200s", path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("wechatpay: %s: %w", path, err)
		}
	}
	return nil
}

// notification is a callback body.
type notification struct {
	ID           string `json:"id"`
	EventType    string `json:"event_type"`
	ResourceType string `json:"resource_type"`
	Resource     struct {
		Algorithm      string `json:"algorithm"`
		Ciphertext     string `json:"ciphertext"`
		AssociatedData string `json:"associated_data"`
		Nonce          string `json:"nonce"`
	} `json:"resource"`
}

// Transaction is the decrypted resource of a TRANSACTION.* callback.
type Transaction struct {
	AppID         string `json:"appid"`
	MchID         string `json:"mchid"`
	OutTradeNo    string `json:"out_trade_no"`
	TransactionID string `json:"transaction_id"`
	TradeState    string `json:"trade_state"`
	Amount        struct {
		Total    int64  `json:"total"`
		Currency string `json:"currency"`
	} `json:"amount"`
}

// Parse verifies the platform signature, then the timestamp window, then
// decrypts and reads the transaction.
func (p *Provider) Parse(ctx context.Context, header http.Header, body []byte, now time.Time) (payment.Notice, error) {
	if len(body) > payment.MaxCallbackBytes {
		return payment.Notice{}, fmt.Errorf("%w: body too large", payment.ErrMalformed)
	}
	ts, nonce, sig := header.Get(HeaderTimestamp), header.Get(HeaderNonce), header.Get(HeaderSignature)
	if ts == "" || nonce == "" || sig == "" || len(ts) > 20 || len(nonce) > 64 || len(sig) > 1024 {
		return payment.Notice{}, fmt.Errorf("%w: missing signature headers", payment.ErrBadSignature)
	}
	if serial := header.Get(HeaderSerial); serial != "" && !strings.EqualFold(serial, SerialOf(p.o.PlatformCert)) {
		return payment.Notice{}, fmt.Errorf("%w: unknown platform certificate %s", payment.ErrBadSignature, serial)
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return payment.Notice{}, fmt.Errorf("%w: signature is not base64", payment.ErrBadSignature)
	}
	h := sha256.New()
	h.Write([]byte(ts + "\n" + nonce + "\n"))
	h.Write(body)
	h.Write([]byte{'\n'})
	if err := rsa.VerifyPKCS1v15(p.o.PlatformCert.PublicKey.(*rsa.PublicKey), crypto.SHA256, h.Sum(nil), raw); err != nil {
		return payment.Notice{}, fmt.Errorf("%w: %w", payment.ErrBadSignature, err)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || !payment.Within(time.Unix(sec, 0), now, p.o.Window) {
		return payment.Notice{}, payment.ErrStale
	}
	var n notification
	if err := json.Unmarshal(body, &n); err != nil {
		return payment.Notice{}, fmt.Errorf("%w: %w", payment.ErrMalformed, err)
	}
	if !strings.HasPrefix(n.EventType, "TRANSACTION.") {
		return payment.Notice{}, fmt.Errorf("%w: event %s", payment.ErrIgnored, n.EventType)
	}
	if n.Resource.Algorithm != "AEAD_AES_256_GCM" {
		return payment.Notice{}, fmt.Errorf("%w: algorithm %q", payment.ErrMalformed, n.Resource.Algorithm)
	}
	plain, err := Decrypt(p.o.APIv3Key, n.Resource.Nonce, n.Resource.AssociatedData, n.Resource.Ciphertext)
	if err != nil {
		return payment.Notice{}, fmt.Errorf("%w: %w", payment.ErrMalformed, err)
	}
	var tx Transaction
	if err := json.Unmarshal(plain, &tx); err != nil {
		return payment.Notice{}, fmt.Errorf("%w: transaction: %w", payment.ErrMalformed, err)
	}
	if (p.o.MchID != "" && tx.MchID != p.o.MchID) || (p.o.AppID != "" && tx.AppID != p.o.AppID) {
		return payment.Notice{}, fmt.Errorf("%w: notice for another merchant", payment.ErrMalformed)
	}
	if !ids.Valid(tx.OutTradeNo) || !ids.Valid(tx.TransactionID) {
		return payment.Notice{}, fmt.Errorf("%w: out_trade_no and transaction_id are required", payment.ErrMalformed)
	}
	return payment.Notice{
		Provider: p.Name(), PaymentID: tx.OutTradeNo, TransactionID: tx.TransactionID, Paid: tx.TradeState == "SUCCESS",
		AmountMinor: tx.Amount.Total, Currency: strings.ToUpper(tx.Amount.Currency), At: time.Unix(sec, 0),
	}, nil
}

// Decrypt opens an AEAD_AES_256_GCM resource.
func Decrypt(key, nonce, associated, ciphertext string) ([]byte, error) {
	ct, err := base64.StdEncoding.DecodeString(ciphertext)
	if err != nil {
		return nil, fmt.Errorf("ciphertext is not base64: %w", err)
	}
	block, err := aes.NewCipher([]byte(key))
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, len(nonce))
	if err != nil || len(nonce) == 0 {
		return nil, fmt.Errorf("bad nonce")
	}
	return gcm.Open(nil, []byte(nonce), ct, []byte(associated))
}

// Encrypt seals a resource the way WeChat Pay does (for tests and tools).
func Encrypt(key, nonce, associated string, plain []byte) (string, error) {
	block, err := aes.NewCipher([]byte(key))
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, len(nonce))
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(gcm.Seal(nil, []byte(nonce), plain, []byte(associated))), nil
}

// SerialOf is a certificate's serial number as WeChat Pay writes it (upper-case hex).
func SerialOf(c *x509.Certificate) string {
	return strings.ToUpper(hex.EncodeToString(c.SerialNumber.Bytes()))
}

// Ack answers as WeChat Pay expects.
func (p *Provider) Ack(ok bool, message string) (string, []byte) {
	if ok {
		return "application/json", []byte(`{"code":"SUCCESS","message":"成功"}`)
	}
	if message == "" {
		message = "失败"
	}
	body, _ := json.Marshal(map[string]string{"code": "FAIL", "message": message})
	return "application/json", body
}
