package server_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/livesell/livesell/commerce/presale/loadtest"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/internal/testnode"
)

// TestPresaleOnAComposedNode runs the presale load tool, small, against a
// whole node (embedded stores): tickets at two price steps through the
// composed routes, paid through the sandbox's signed callbacks (each twice),
// one entitlement per paid ticket, none oversold or at the wrong price.
func TestPresaleOnAComposedNode(t *testing.T) {
	cfg := testnode.Config(t)
	cfg.AdminToken = "presale-admin-token-0123456789abcdef"
	cfg.Commerce.Sandbox = "on"
	cfg.Commerce.SandboxSecret = "presale-sandbox-secret-0123456789abcdef"
	_, base := testnode.Start(t, cfg, testenv.Logger(t))
	var out bytes.Buffer
	res, err := loadtest.Run(context.Background(), loadtest.Options{Server: base, AdminToken: cfg.AdminToken, Buyers: 300, Tickets: 40,
		Price1: 4900, Price2: 6900, Concurrency: 16, PayShare: 0.5, SandboxSecret: cfg.Commerce.SandboxSecret}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if res.Tickets != 40 || res.AtPrice1 != 20 || res.AtPrice2 != 20 || res.SoldOut != 260 || res.Errors != 0 || res.Oversell != 0 ||
		res.WrongPrice != 0 || res.Paid != 20 || res.Entitled != 20 || strings.Contains(out.String(), "WARNING") {
		t.Fatalf("result %+v\n%s", res, out.String())
	}
}
