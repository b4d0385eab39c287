// Package schema holds the SQL migrations of the presale capability
// (offers, tickets, entitlements, their outbox, views, referrals), embedded
// and applied under the "presale" component.
package schema

import (
	"context"
	"embed"

	"github.com/livesell/livesell/commerce/internal/migrate"
	"github.com/livesell/livesell/internal/sqldb"
)

//go:embed migrations/*.sql
var files embed.FS

// Migrate applies the presale migrations that db has not seen yet.
func Migrate(ctx context.Context, db *sqldb.DB) error {
	return migrate.Embedded(ctx, db, files, "presale", "presale schema")
}
