// Package migrate applies the SQL migrations a commerce package embeds
// (its migrations/*.sql), so that each package's Migrate is one call.
package migrate

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/livesell/livesell/internal/sqldb"
)

// Embedded applies the migrations in the "migrations" folder of files
// that db has not seen yet under component; errors say what (e.g. "draw
// schema: …").
func Embedded(ctx context.Context, db *sqldb.DB, files fs.FS, component, what string) error {
	sub, err := fs.Sub(files, "migrations")
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := db.Migrate(ctx, component, sub); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
