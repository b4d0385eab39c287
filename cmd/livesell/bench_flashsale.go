package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/livesell/livesell/commerce/loadtest"
	"github.com/livesell/livesell/commerce/stock"
)

func init() {
	benchCommands["flashsale"] = func(ctx context.Context, args []string, out io.Writer) error {
		fs := flag.NewFlagSet("flashsale", flag.ContinueOnError)
		fs.SetOutput(out)
		var o loadtest.Options
		fs.StringVar(&o.Server, "server", "http://127.0.0.1:8080", "livesell base URL (loopback only)")
		fs.StringVar(&o.AdminToken, "admin-token", "", "the server's admin token")
		fs.IntVar(&o.Buyers, "buyers", 20000, "buyers racing for the product, one order attempt each")
		fs.IntVar(&o.Stock, "stock", 2000, "units on sale")
		fs.IntVar(&o.Concurrency, "concurrency", 256, "requests in flight")
		fs.Float64Var(&o.PayShare, "pay-share", 0.3, "share of the created orders to pay through sandbox callbacks")
		fs.StringVar(&o.SandboxSecret, "sandbox-secret", "", "the server's sandbox secret (signs callbacks here); empty presses the hosted page's Pay button")
		printScript := fs.Bool("print-reserve-script", false, "print the Redis reserve script and exit (for commerce/loadtest/ceilings.sh)")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if *printScript {
			_, err := io.WriteString(out, stock.ReserveScript())
			return err
		}
		if o.AdminToken == "" {
			return fmt.Errorf("flashsale: --admin-token is required")
		}
		res, err := loadtest.Run(ctx, o, out)
		if err != nil {
			return err
		}
		if res.Oversell > 0 {
			return fmt.Errorf("flashsale: oversold by %d", res.Oversell)
		}
		return nil
	}
}
