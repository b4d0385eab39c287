package wechatpay_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/livesell/livesell/commerce/payment"
	"github.com/livesell/livesell/commerce/payment/wechatpay"
)

const apiKey = "0123456789abcdef0123456789abcdef"

type fixture struct {
	platformKey *rsa.PrivateKey
	cert        *x509.Certificate
	merchantKey *rsa.PrivateKey
	p           *wechatpay.Provider
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	pk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(0x5157F09EFDC096DE), Subject: pkix.Name{CommonName: "Tenpay.com Root CA test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &pk.PublicKey, pk)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	mk, _ := rsa.GenerateKey(rand.Reader, 2048)
	p, err := wechatpay.New(wechatpay.Options{AppID: "wxapp", MchID: "1900000001", APIv3Key: apiKey, PlatformCert: cert, PrivateKey: mk, SerialNo: "MERCHANTSERIAL", Window: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{platformKey: pk, cert: cert, merchantKey: mk, p: p}
}

func (f *fixture) body(t testing.TB, event, state string, total int64, key string) []byte {
	tx, _ := json.Marshal(map[string]any{"appid": "wxapp", "mchid": "1900000001", "out_trade_no": "pay_1", "transaction_id": "4200000001",
		"trade_state": state, "amount": map[string]any{"total": total, "currency": "CNY"}})
	ct, err := wechatpay.Encrypt(key, "nonce1234567", "transaction", tx)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"id": "EV-1", "event_type": event, "resource_type": "encrypt-resource",
		"resource": map[string]any{"algorithm": "AEAD_AES_256_GCM", "ciphertext": ct, "associated_data": "transaction", "nonce": "nonce1234567", "original_type": "transaction"}})
	return b
}

func (f *fixture) sign(body []byte, t time.Time, key *rsa.PrivateKey) http.Header {
	ts := strconv.FormatInt(t.Unix(), 10)
	sum := sha256.Sum256([]byte(ts + "\nnonceabc\n" + string(body) + "\n"))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	h := http.Header{}
	h.Set(wechatpay.HeaderTimestamp, ts)
	h.Set(wechatpay.HeaderNonce, "nonceabc")
	h.Set(wechatpay.HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	h.Set(wechatpay.HeaderSerial, wechatpay.SerialOf(f.cert))
	return h
}

func TestParse(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	good := f.body(t, "TRANSACTION.SUCCESS", "SUCCESS", 888, apiKey)
	wrongSerial := f.sign(good, now, f.platformKey)
	wrongSerial.Set(wechatpay.HeaderSerial, "ABCDEF")
	cases := []struct {
		name   string
		body   []byte
		header http.Header
		want   error
	}{
		{"good", good, f.sign(good, now, f.platformKey), nil},
		{"signed by someone else", good, f.sign(good, now, f.merchantKey), payment.ErrBadSignature},
		{"tampered body", append([]byte(" "), good...), f.sign(good, now, f.platformKey), payment.ErrBadSignature},
		{"unknown certificate serial", good, wrongSerial, payment.ErrBadSignature},
		{"no headers", good, http.Header{}, payment.ErrBadSignature},
		{"stale", good, f.sign(good, now.Add(-6*time.Minute), f.platformKey), payment.ErrStale},
		{"encrypted with another key", f.body(t, "TRANSACTION.SUCCESS", "SUCCESS", 888, "ffffffffffffffffffffffffffffffff"), f.sign(f.body(t, "TRANSACTION.SUCCESS", "SUCCESS", 888, "ffffffffffffffffffffffffffffffff"), now, f.platformKey), payment.ErrMalformed},
		{"refund event", f.body(t, "REFUND.SUCCESS", "SUCCESS", 888, apiKey), f.sign(f.body(t, "REFUND.SUCCESS", "SUCCESS", 888, apiKey), now, f.platformKey), payment.ErrIgnored},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := f.p.Parse(context.Background(), c.header, c.body, now)
			if !errors.Is(err, c.want) {
				t.Fatalf("err %v; want %v", err, c.want)
			}
			if c.want == nil && (!n.Paid || n.PaymentID != "pay_1" || n.TransactionID != "4200000001" || n.AmountMinor != 888 || n.Currency != "CNY") {
				t.Fatalf("notice %+v", n)
			}
		})
	}
}

func TestAck(t *testing.T) {
	f := newFixture(t)
	if _, b := f.p.Ack(true, ""); string(b) != `{"code":"SUCCESS","message":"成功"}` {
		t.Fatalf("success ack %s", b)
	}
	if _, b := f.p.Ack(false, "bad signature"); !strings.Contains(string(b), `"code":"FAIL"`) {
		t.Fatalf("fail ack %s", b)
	}
}

func TestBeginSignsRequest(t *testing.T) {
	f := newFixture(t)
	re := regexp.MustCompile(`^WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="([^"]+)",signature="([^"]+)",timestamp="(\d+)",serial_no="MERCHANTSERIAL"$`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m := re.FindStringSubmatch(r.Header.Get("Authorization"))
		if m == nil || r.URL.Path != "/v3/pay/transactions/native" {
			w.WriteHeader(401)
			return
		}
		sig, _ := base64.StdEncoding.DecodeString(m[2])
		sum := sha256.Sum256([]byte("POST\n/v3/pay/transactions/native\n" + m[3] + "\n" + m[1] + "\n" + string(body) + "\n"))
		var req struct {
			Description string `json:"description"`
		}
		json.Unmarshal(body, &req)
		if rsa.VerifyPKCS1v15(&f.merchantKey.PublicKey, crypto.SHA256, sum[:], sig) != nil || !strings.Contains(string(body), `"out_trade_no":"pay_7"`) ||
			!utf8.ValidString(req.Description) || len(req.Description) > 127 {
			w.WriteHeader(401)
			return
		}
		io.WriteString(w, `{"code_url":"weixin://wxpay/bizpayurl?pr=abc"}`)
	}))
	defer srv.Close()
	p, _ := wechatpay.New(wechatpay.Options{AppID: "wxapp", MchID: "1900000001", APIv3Key: apiKey, PlatformCert: f.cert, PrivateKey: f.merchantKey, SerialNo: "MERCHANTSERIAL", BaseURL: srv.URL})
	co, err := p.Begin(context.Background(), payment.Charge{PaymentID: "pay_7", AmountMinor: 100, Currency: "CNY", Title: strings.Repeat("茶", 60), BaseURL: "https://shop.example"})
	if err != nil || co.QRCode != "weixin://wxpay/bizpayurl?pr=abc" {
		t.Fatalf("begin: %+v %v", co, err)
	}
}

func FuzzParse(f *testing.F) {
	fx := newFixture(f)
	now := time.Unix(1_800_000_000, 0)
	body := fx.body(f, "TRANSACTION.SUCCESS", "SUCCESS", 1, apiKey)
	h := fx.sign(body, now, fx.platformKey)
	f.Add(body, h.Get(wechatpay.HeaderTimestamp), h.Get(wechatpay.HeaderSignature))
	f.Add([]byte(`{}`), "1", "AAAA")
	f.Fuzz(func(t *testing.T, body []byte, ts, sig string) {
		h := http.Header{}
		h.Set(wechatpay.HeaderTimestamp, ts)
		h.Set(wechatpay.HeaderNonce, "nonceabc")
		h.Set(wechatpay.HeaderSignature, sig)
		n, err := fx.p.Parse(context.Background(), h, body, now)
		if err == nil && n.PaymentID == "" {
			t.Fatalf("accepted notice without ids: %+v", n)
		}
	})
}

func FuzzDecrypt(f *testing.F) {
	ct, _ := wechatpay.Encrypt(apiKey, "nonce1234567", "transaction", []byte(`{"a":1}`))
	f.Add("nonce1234567", "transaction", ct)
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, nonce, ad, ct string) {
		wechatpay.Decrypt(apiKey, nonce, ad, ct)
	})
}
