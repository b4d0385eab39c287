package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/livesell/livesell/commerce/presale/loadtest"
)

func init() {
	benchCommands["presale"] = func(ctx context.Context, args []string, out io.Writer) error {
		fs := flag.NewFlagSet("presale", flag.ContinueOnError)
		fs.SetOutput(out)
		var o loadtest.Options
		fs.StringVar(&o.Server, "server", "http://127.0.0.1:8080", "livesell base URL (loopback only)")
		fs.StringVar(&o.AdminToken, "admin-token", "", "the server's admin token")
		fs.IntVar(&o.Buyers, "buyers", 20000, "buyers racing for tickets, one attempt each")
		fs.IntVar(&o.Tickets, "tickets", 2000, "places in the one tier (first half at --price1, the rest at --price2)")
		fs.Int64Var(&o.Price1, "price1", 4900, "early-bird price (minor units)")
		fs.Int64Var(&o.Price2, "price2", 6900, "second step price (minor units)")
		fs.IntVar(&o.Concurrency, "concurrency", 32, "requests in flight")
		fs.Float64Var(&o.PayShare, "pay-share", 0.3, "share of the tickets to pay through sandbox callbacks")
		fs.StringVar(&o.SandboxSecret, "sandbox-secret", "", "the server's sandbox secret (signs the callbacks); empty pays nothing")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if o.AdminToken == "" {
			return fmt.Errorf("presale: --admin-token is required")
		}
		res, err := loadtest.Run(ctx, o, out)
		if err != nil {
			return err
		}
		if res.Oversell > 0 || res.WrongPrice > 0 || (o.SandboxSecret != "" && res.Entitled != res.Paid) {
			return fmt.Errorf("presale: oversell %d, wrong price %d, %d entitlements for %d paid", res.Oversell, res.WrongPrice, res.Entitled, res.Paid)
		}
		return nil
	}
}
