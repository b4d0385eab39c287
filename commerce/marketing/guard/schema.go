// Package guard holds what every live marketing tool (draws, red packets,
// gifts) shares against abuse: per-user and per-address rate limits in
// Redis, the audit trail (who, when, from where) and the accounts' first
// sighting in SQL, and the shop's risk hook (a webhook that may veto a
// winner or a claim).
package guard

import (
	"context"
	"embed"

	"github.com/livesell/livesell/commerce/internal/migrate"
	"github.com/livesell/livesell/internal/sqldb"
)

//go:embed migrations/*.sql
var files embed.FS

// Migrate applies the guard migrations (component "marketing-guard").
func Migrate(ctx context.Context, db *sqldb.DB) error {
	return migrate.Embedded(ctx, db, files, "marketing-guard", "guard schema")
}
