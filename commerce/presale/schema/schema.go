// Package schema holds the SQL migrations of the presale capability
// (offers, tickets, entitlements, their outbox, views, referrals), embedded
// and applied under the "presale" component.
package schema

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/livesell/livesell/internal/sqldb"
)

//go:embed migrations/*.sql
var files embed.FS

// Migrate applies the presale migrations that db has not seen yet.
func Migrate(ctx context.Context, db *sqldb.DB) error {
	sub, err := fs.Sub(files, "migrations")
	if err != nil {
		return fmt.Errorf("presale schema: %w", err)
	}
	if err := db.Migrate(ctx, "presale", sub); err != nil {
		return fmt.Errorf("presale schema: %w", err)
	}
	return nil
}
