package commerce_test

import (
	"strings"
	"testing"

	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

// TestSandboxPageLanguage: the sandbox checkout page speaks the buyer's
// browser language (Accept-Language, zh-CN or en), before and after the
// press, and keeps its page-token mechanism (the token stays in the
// fragment; a press without it or the buyer's token is refused).
func TestSandboxPageLanguage(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		h := newHarness(t, b, ns)
		pid := h.must(201, "POST", "/api/products", adminToken, map[string]any{"title": "Tea", "price_minor": 1250, "currency": "USD", "stock": 5}, nil)["id"].(string)
		alice := h.token("alice")
		oid := h.must(201, "POST", "/api/orders", alice, map[string]any{"product_id": pid}, map[string]string{"Idempotency-Key": "lang-1"})["id"].(string)
		co := h.must(200, "POST", "/api/orders/"+oid+"/pay", alice, map[string]any{"provider": "sandbox"}, nil)
		pay := co["payment_id"].(string)
		if !strings.Contains(co["redirect_url"].(string), "/pay/sandbox/"+pay+"#t=") {
			t.Fatalf("page token not in the fragment: %v", co)
		}
		for _, tc := range []struct {
			accept, lang string
			want, not    []string
		}{
			{"", "en", []string{`lang="en"`, "Sandbox checkout", ">Pay</button>", ">Fail</button>", "Test payments only", "12.50"}, []string{"沙箱"}},
			{"zh-CN,zh;q=0.9,en;q=0.8", "zh-CN", []string{`lang="zh-CN"`, "沙箱收银台", ">支付</button>", ">支付失败</button>", "不会产生真实扣款", "12.50"}, []string{"Sandbox checkout"}},
			{"zh-TW", "zh-CN", []string{"沙箱收银台"}, nil},
			{"en-US,zh;q=0.5", "en", []string{"Sandbox checkout"}, []string{"沙箱"}},
			{"fr;q=1, zh;q=0.3", "zh-CN", []string{"沙箱收银台"}, nil},
			{"zh;q=0, en;q=0.1", "en", []string{"Sandbox checkout"}, nil},
			{"de, fr", "en", []string{"Sandbox checkout"}, nil},
			{"zh;q=abc", "en", []string{"Sandbox checkout"}, nil},
		} {
			hdr := map[string]string{}
			if tc.accept != "" {
				hdr["Accept-Language"] = tc.accept
			}
			st, page := h.do("GET", "/pay/sandbox/"+pay, "", nil, hdr)
			if st != 200 {
				t.Fatalf("%q: %d %s", tc.accept, st, page)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(page), w) {
					t.Fatalf("%q: no %q in %s", tc.accept, w, page)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(string(page), w) {
					t.Fatalf("%q: %q in %s", tc.accept, w, page)
				}
			}
			if !strings.Contains(string(page), `name="t" value=""`) {
				t.Fatalf("%q: the page token is not left to the fragment script: %s", tc.accept, page)
			}
		}
		if st, _ := h.do("POST", "/pay/sandbox/"+pay+"/pay", "", nil, map[string]string{"Accept-Language": "zh-CN"}); st != 403 {
			t.Fatalf("press without a token: %d", st)
		}
		st, page := h.do("POST", "/pay/sandbox/"+pay+"/pay", alice, nil, map[string]string{"Accept-Language": "zh-CN"})
		if st != 200 || !strings.Contains(string(page), `data-status="PAID"`) || !strings.Contains(string(page), "<strong>已支付</strong>") {
			t.Fatalf("paid page in Chinese: %d %s", st, page)
		}
		st, page = h.do("GET", "/pay/sandbox/"+pay, "", nil, nil)
		if st != 200 || !strings.Contains(string(page), "is <strong>paid</strong>.") {
			t.Fatalf("paid page in English: %d %s", st, page)
		}
	})
}
