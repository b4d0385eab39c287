// Package schema holds the SQL migrations of the commerce capability
// (products, room bindings, orders, payments, outbox, user tags), embedded
// and applied on start under the "commerce" component.
package schema

import (
	"context"
	"embed"

	"github.com/livesell/livesell/commerce/internal/migrate"
	"github.com/livesell/livesell/internal/sqldb"
)

//go:embed migrations/*.sql
var files embed.FS

// Migrate applies the commerce migrations that db has not seen yet.
func Migrate(ctx context.Context, db *sqldb.DB) error {
	return migrate.Embedded(ctx, db, files, "commerce", "commerce schema")
}
