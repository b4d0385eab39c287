package sqldb_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

func TestMigrateAppliesOnceWithDialectOverrides(t *testing.T) {
	files := fstest.MapFS{
		"001_items.sql":        {Data: []byte("CREATE TABLE items (id TEXT PRIMARY KEY, n BIGINT NOT NULL);\n")},
		"002_extra.sql":        {Data: []byte("ALTER TABLE items ADD COLUMN generic INTEGER;\n")},
		"002_extra.sqlite.sql": {Data: []byte("ALTER TABLE items ADD COLUMN sqlite_only INTEGER;\n")},
	}
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		for i := 0; i < 2; i++ { // the second run must be a no-op
			if err := b.SQL.Migrate(ctx, "test", files); err != nil {
				t.Fatalf("migrate run %d: %v", i, err)
			}
		}
		col := "generic"
		if b.SQL.Dialect == "sqlite" {
			col = "sqlite_only"
		}
		if _, err := b.SQL.ExecContext(ctx, "INSERT INTO items (id, n, "+col+") VALUES ($1, $2, $3)", "a", 1, 2); err != nil {
			t.Fatalf("insert into migrated table: %v", err)
		}
		var n int
		if err := b.SQL.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE component = $1`, "test").Scan(&n); err != nil || n != 2 {
			t.Fatalf("schema_migrations rows = %d, %v; want 2", n, err)
		}
	})
}
