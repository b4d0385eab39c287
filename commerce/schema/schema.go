// Package schema holds the SQL migrations of the commerce capability
// (products, room bindings, orders, payments, outbox, user tags), embedded
// and applied on start under the "commerce" component.
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

// Migrate applies the commerce migrations that db has not seen yet.
func Migrate(ctx context.Context, db *sqldb.DB) error {
	sub, err := fs.Sub(files, "migrations")
	if err != nil {
		return fmt.Errorf("commerce schema: %w", err)
	}
	if err := db.Migrate(ctx, "commerce", sub); err != nil {
		return fmt.Errorf("commerce schema: %w", err)
	}
	return nil
}
