package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/payment"
	"github.com/livesell/livesell/commerce/payment/sandbox"
	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
)

// callback is POST /api/payments/{provider}/callback: verify (signature and
// timestamp window) before anything else, then apply at most once, and
// answer in the provider's own format.
func (h *paymentHandler) callback(c *fiber.Ctx) error {
	prov, ok := h.d.Orders.Provider(c.Params("provider"))
	if !ok {
		return apierr.New(apierr.CodeProviderNotFound)
	}
	if len(c.Body()) > payment.MaxCallbackBytes {
		return apierr.E(apierr.CodeBodyTooLarge, "a callback is at most %d bytes", payment.MaxCallbackBytes)
	}
	header := http.Header{}
	c.Request().Header.VisitAll(func(k, v []byte) { header.Add(string(k), string(v)) })
	status, msg := h.applyCallback(c.UserContext(), prov, header, c.Body(), h.d.ClientAddr(c))
	ct, b := prov.Ack(status < 300, msg)
	c.Set(fiber.HeaderContentType, ct)
	if status == http.StatusTooManyRequests {
		c.Set(fiber.HeaderRetryAfter, "60")
	}
	return c.Status(status).Send(b)
}

// applyCallback verifies and applies a callback and returns the HTTP status
// to answer with and a message for refusals. from is the sender's address
// ("" for the sandbox page, which calls in-process): beyond
// CallbackFailuresPerMinute refused callbacks from one address, refusals
// answer 429; they are logged at most once per provider and reason every
// 10 s, with the count of those held back.
func (h *paymentHandler) applyCallback(ctx context.Context, prov payment.Provider, header http.Header, body []byte, from string) (int, string) {
	now := time.Now()
	n, err := prov.Parse(ctx, header, body, now)
	switch {
	case errors.Is(err, payment.ErrIgnored):
		return http.StatusOK, ""
	case errors.Is(err, payment.ErrBadSignature), errors.Is(err, payment.ErrStale):
		reason, msg := "bad_signature", "bad signature"
		if errors.Is(err, payment.ErrStale) {
			reason, msg = "stale", "timestamp outside the window"
		}
		if from != "" && !h.badCall.allow(from, now) {
			return http.StatusTooManyRequests, "too many refused callbacks"
		}
		if ok, held := h.warns.allow(prov.Name()+"/"+reason, now); ok {
			h.d.Log.Warn("payment callback refused", "provider", prov.Name(), "reason", reason, "held_back", held)
		}
		return http.StatusUnauthorized, msg
	case err != nil:
		return http.StatusBadRequest, "malformed notice"
	}
	o, outcome, err := h.d.Orders.Payments.ApplyNotice(ctx, n)
	switch {
	case err == nil:
		h.d.Log.Info("payment callback", "provider", prov.Name(), "order", o.ID, "outcome", outcome)
		return http.StatusOK, ""
	case errors.Is(err, order.ErrAmountMismatch):
		h.d.Log.Error("payment callback amount mismatch", "provider", prov.Name(), "err", err)
		return http.StatusBadRequest, "amount or currency mismatch"
	case errors.Is(err, order.ErrUnknownPayment):
		return http.StatusNotFound, "unknown payment"
	default:
		h.d.Log.Error("payment callback failed; the provider will retry", "provider", prov.Name(), "err", err)
		return http.StatusInternalServerError, "try again"
	}
}

var sandboxPage = template.Must(template.New("sandbox").Parse(`<!doctype html>
<html lang="{{.W.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.W.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
.amount{font-size:2rem;margin:1rem 0}button{font-size:1.1rem;padding:.6rem 1.4rem;margin-right:.6rem;cursor:pointer}
#sandbox-pay{background:#16a34a;color:#fff;border:0}#sandbox-fail{background:#dc2626;color:#fff;border:0}
.note{color:#666;font-size:.85rem;margin-top:2rem}</style></head>
<body><h1>{{.W.Heading}}</h1>
{{if .Done}}<p id="sandbox-result" data-status="{{.Status}}">{{.W.Order}} {{.OrderID}} {{.W.Is}} <strong>{{.StatusText}}</strong>{{.W.End}}</p>
{{else}}<p>{{.Title}}</p><p class="amount">{{.Amount}} {{.Currency}}</p>
<form method="post" action="/pay/sandbox/{{.PaymentID}}/pay" style="display:inline"><input type="hidden" name="t" value=""><button id="sandbox-pay" type="submit">{{.W.Pay}}</button></form>
<form method="post" action="/pay/sandbox/{{.PaymentID}}/fail" style="display:inline"><input type="hidden" name="t" value=""><button id="sandbox-fail" type="submit">{{.W.Fail}}</button></form>
<script>` + sandboxScript + `</script>
{{end}}<p class="note">{{.W.Note}} {{.W.PaymentWord}} {{.PaymentID}}</p></body></html>`))

// sandboxScript hands the page token from the URL fragment (which the
// browser never sends) to the buttons' forms.
const sandboxScript = `(function(){var m=/(?:^#|&)t=([0-9a-f]{32})/.exec(location.hash);if(!m)return;` +
	`var f=document.querySelectorAll('input[name=t]');for(var i=0;i<f.length;i++)f[i].value=m[1];})();`

// sandboxCSP allows the page's one script and nothing from elsewhere.
var sandboxCSP = func() string {
	sum := sha256.Sum256([]byte(sandboxScript))
	return "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; form-action 'self'; base-uri 'none'"
}()

type sandboxView struct {
	PaymentID, OrderID, Title, Currency, Status string
	Amount                                      string
	Done                                        bool
	// W are the page's words in the buyer's language; StatusText is Status in it.
	W          sandboxWords
	StatusText string
}

func formatMinor(v int64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	s := []byte{}
	whole, frac := v/100, v%100
	for _, d := range []int64{frac % 10, frac / 10} {
		s = append([]byte{byte('0' + d)}, s...)
	}
	s = append([]byte{'.'}, s...)
	if whole == 0 {
		s = append([]byte{'0'}, s...)
	}
	for whole > 0 {
		s = append([]byte{byte('0' + whole%10)}, s...)
		whole /= 10
	}
	if neg {
		s = append([]byte{'-'}, s...)
	}
	return string(s)
}

func (h *paymentHandler) sandboxLoad(c *fiber.Ctx) (order.Payment, order.Order, error) {
	if h.d.Sandbox == nil {
		return order.Payment{}, order.Order{}, apierr.E(apierr.CodeNotFound, "the sandbox payment provider is off")
	}
	pid := c.Params("payment")
	if !ids.Valid(pid) {
		return order.Payment{}, order.Order{}, apierr.E(apierr.CodeInvalidRequest, "not a payment id")
	}
	pay, err := h.d.Orders.Store().GetPayment(c.UserContext(), pid)
	if err != nil {
		return pay, order.Order{}, mapErr(err)
	}
	if pay.Provider != "sandbox" {
		return pay, order.Order{}, apierr.E(apierr.CodePaymentNotFound, "no sandbox payment %s", pid)
	}
	o, err := h.d.Orders.Get(c.UserContext(), pay.OrderID)
	if err != nil {
		return pay, o, mapErr(err)
	}
	return pay, o, nil
}

// sandboxPage is GET /pay/sandbox/{payment}: the hosted test checkout.
func (h *paymentHandler) sandboxPage(c *fiber.Ctx) error {
	pay, o, err := h.sandboxLoad(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set("Cache-Control", "no-store")
	c.Set("Content-Security-Policy", sandboxCSP)
	c.Set("Referrer-Policy", "no-referrer")
	w := sandboxLang(c.Get(fiber.HeaderAcceptLanguage))
	c.Set(fiber.HeaderContentLanguage, w.Lang)
	c.Vary(fiber.HeaderAcceptLanguage)
	return sandboxPage.Execute(c, sandboxView{PaymentID: pay.ID, OrderID: o.ID, Title: o.ProductTitle, Currency: pay.Currency,
		Amount: formatMinor(pay.AmountMinor), Status: string(o.Status), Done: o.Status != order.Pending, W: w, StatusText: w.statusText(string(o.Status))})
}

// sandboxSubmit is the page's Pay/Fail button: it calls back exactly like a
// real provider would (a signed notice through the same verification path).
// Knowing a payment id is not enough: the press carries the page token (the
// page's script puts it in the form) or the buyer's bearer token.
func (h *paymentHandler) sandboxSubmit(c *fiber.Ctx) error {
	pay, o, err := h.sandboxLoad(c)
	if err != nil {
		return err
	}
	if !h.d.Sandbox.CheckPageToken(pay.ID, c.FormValue("t")) && !h.isBuyer(c, o) {
		return apierr.E(apierr.CodeForbidden, "press Pay on the page the checkout opened, or send the buyer's token")
	}
	outcome := c.Params("outcome")
	n := sandbox.Notice{PaymentID: pay.ID, AmountMinor: pay.AmountMinor, Currency: pay.Currency}
	switch outcome {
	case "pay":
		n.Status, n.TransactionID = "paid", "sbx_"+pay.ID
	case "fail":
		n.Status, n.TransactionID = "failed", ids.New("sbxf_")
	default:
		return apierr.E(apierr.CodeNotFound, "no such sandbox action")
	}
	header, b := h.d.Sandbox.Callback(n, time.Now())
	if status, msg := h.applyCallback(c.UserContext(), h.d.Sandbox, header, b, ""); status >= 300 {
		return apierr.E(apierr.CodePaymentRefused, "the sandbox payment was refused: %s", msg)
	}
	_, o, err = h.sandboxLoad(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set("Cache-Control", "no-store")
	c.Set("Content-Security-Policy", sandboxCSP)
	w := sandboxLang(c.Get(fiber.HeaderAcceptLanguage))
	c.Set(fiber.HeaderContentLanguage, w.Lang)
	c.Vary(fiber.HeaderAcceptLanguage)
	return sandboxPage.Execute(c, sandboxView{PaymentID: pay.ID, OrderID: o.ID, Status: string(o.Status), Done: true, W: w, StatusText: w.statusText(string(o.Status))})
}

// isBuyer reports whether the request carries the token of o's buyer (or
// the admin token).
func (h *paymentHandler) isBuyer(c *fiber.Ctx, o order.Order) bool {
	if auth.BearerToken(c.Get(fiber.HeaderAuthorization)) == "" {
		return false
	}
	p, err := h.d.Auth.Request(c, auth.User|auth.Admin, "")
	return err == nil && (p.Kind == auth.KindAdmin || (p.Kind == auth.KindUser && p.UserID == o.UserID))
}

// providers is GET /api/payments/providers: the providers this server
// takes payments with, for the checkout to offer (the sandbox last).
func (h *paymentHandler) providers(c *fiber.Ctx) error {
	names := h.d.Orders.Providers()
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == "sandbox") != (names[j] == "sandbox") {
			return names[j] == "sandbox"
		}
		return names[i] < names[j]
	})
	return c.JSON(fiber.Map{"providers": names, "sandbox": h.d.Sandbox != nil})
}
