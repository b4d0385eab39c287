package loadtest_test

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce"
	"github.com/livesell/livesell/commerce/loadtest"
	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

func TestFlashSaleTool(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		c, err := commerce.New(ctx, commerce.Options{Backends: b, Namespace: ns, AdminToken: "adm", Users: auth.NewVerifier([]byte("k"), ""),
			SandboxSecret: "sandbox-secret-for-tests-0123456789", Sandbox: true, Log: testenv.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		app := fiber.New(fiber.Config{ErrorHandler: apierr.FiberHandler(testenv.Logger(t)), DisableStartupMessage: true})
		c.Mount(app)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go app.Listener(ln)
		defer app.ShutdownWithTimeout(5 * time.Second)
		for _, secret := range []string{"sandbox-secret-for-tests-0123456789", ""} {
			var out bytes.Buffer
			res, err := loadtest.Run(ctx, loadtest.Options{Server: "http://" + ln.Addr().String(), AdminToken: "adm", Buyers: 300, Stock: 30,
				Concurrency: 32, PayShare: 0.5, SandboxSecret: secret}, &out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			if res.Orders != 30 || res.SoldOut != 270 || res.Oversell != 0 || res.Errors != 0 || res.Paid != 15 || res.PaidOK != 15 || res.CallbacksSent != 30 {
				t.Fatalf("result %+v\n%s", res, out.String())
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if last := lines[len(lines)-1]; !strings.HasPrefix(last, "attempts 300 orders 30 sold_out 270 oversell 0 rps ") || strings.Contains(out.String(), "WARNING") {
				t.Fatalf("report:\n%s", out.String())
			}
		}
	})
}
