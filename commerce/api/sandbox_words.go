package api

import (
	"strconv"
	"strings"
)

// sandboxWords are the sandbox checkout page's texts in one language.
type sandboxWords struct {
	Lang, Title, Heading, Pay, Fail, Order, Is, End, Note, PaymentWord string
	Status                                                             map[string]string
}

var sandboxLangs = map[string]sandboxWords{
	"en": {
		Lang: "en", Title: "livesell sandbox checkout", Heading: "Sandbox checkout", Pay: "Pay", Fail: "Fail",
		Order: "Order", Is: "is", End: ".", Note: "Test payments only: no money moves.", PaymentWord: "Payment",
		Status: map[string]string{"PENDING": "unpaid", "PAID": "paid", "SHIPPED": "shipped", "COMPLETED": "completed",
			"CANCELLED": "cancelled", "EXPIRED": "expired", "REFUNDED": "refunded"},
	},
	"zh-CN": {
		Lang: "zh-CN", Title: "livesell 沙箱收银台", Heading: "沙箱收银台", Pay: "支付", Fail: "支付失败",
		Order: "订单", Is: "状态：", End: "。", Note: "仅用于测试支付，不会产生真实扣款。", PaymentWord: "支付单",
		Status: map[string]string{"PENDING": "待支付", "PAID": "已支付", "SHIPPED": "已发货", "COMPLETED": "已完成",
			"CANCELLED": "已取消", "EXPIRED": "已过期", "REFUNDED": "已退款"},
	},
}

// sandboxLang picks the page's language from an Accept-Language header: the
// highest-weighted zh* or en* range (ties: the first listed); en otherwise.
func sandboxLang(header string) sandboxWords {
	best, bestQ := "en", -1.0
	for i, part := range strings.Split(header, ",") {
		if i >= 32 {
			break // a bound on a header from outside
		}
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		tag = strings.ToLower(strings.TrimSpace(tag))
		var l string
		switch {
		case tag == "zh" || strings.HasPrefix(tag, "zh-"):
			l = "zh-CN"
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			l = "en"
		default:
			continue
		}
		if q > bestQ && q > 0 {
			best, bestQ = l, q
		}
	}
	return sandboxLangs[best]
}

// statusText is the order state's word in w's language.
func (w sandboxWords) statusText(s string) string {
	if t, ok := w.Status[s]; ok {
		return t
	}
	return s
}
