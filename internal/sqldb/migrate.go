package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migrate applies component's numbered migrations from files that have not
// been applied yet, each in its own transaction, recording them in
// schema_migrations. Files are named NNN_description.sql; a file named
// NNN_description.postgres.sql or NNN_description.sqlite.sql is used instead
// on that dialect only. On PostgreSQL an advisory lock keeps two nodes that
// start together from racing.
func (db *DB) Migrate(ctx context.Context, component string, files fs.FS) error {
	steps, err := db.migrationSteps(files)
	if err != nil {
		return fmt.Errorf("sqldb: %s migrations: %w", component, err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqldb: migrate: %w", err)
	}
	defer conn.Close()
	if db.Dialect == Postgres {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(727001)`); err != nil {
			return fmt.Errorf("sqldb: migrate lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(727001)`)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL,
		version INTEGER NOT NULL,
		PRIMARY KEY (component, version))`); err != nil {
		return fmt.Errorf("sqldb: migrate: %w", err)
	}
	for _, s := range steps {
		var n int
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE component = $1 AND version = $2`, component, s.version).Scan(&n); err != nil {
			return fmt.Errorf("sqldb: migrate %s: %w", component, err)
		}
		if n > 0 {
			continue
		}
		body, err := fs.ReadFile(files, s.file)
		if err != nil {
			return fmt.Errorf("sqldb: migrate %s: %w", component, err)
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("sqldb: migrate %s: %w", component, err)
		}
		if err := execScript(ctx, tx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqldb: migrate %s %s: %w", component, s.file, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (component, version) VALUES ($1, $2)`, component, s.version); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqldb: migrate %s: %w", component, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sqldb: migrate %s: %w", component, err)
		}
	}
	return nil
}

type migrationStep struct {
	version int
	file    string
}

func (db *DB) migrationSteps(files fs.FS) ([]migrationStep, error) {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return nil, err
	}
	chosen := map[int]migrationStep{}
	specific := map[int]bool{}
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		if !ok {
			return nil, fmt.Errorf("%s: name is not NNN_description.sql", name)
		}
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("%s: name is not NNN_description.sql", name)
		}
		trimmed := strings.TrimSuffix(base, ".sql")
		switch {
		case strings.HasSuffix(trimmed, ".postgres"), strings.HasSuffix(trimmed, ".sqlite"):
			if !strings.HasSuffix(trimmed, "."+string(db.Dialect)) {
				continue
			}
			chosen[v] = migrationStep{version: v, file: name}
			specific[v] = true
		default:
			if !specific[v] {
				chosen[v] = migrationStep{version: v, file: name}
			}
		}
	}
	steps := make([]migrationStep, 0, len(chosen))
	for _, s := range chosen {
		steps = append(steps, s)
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i].version < steps[j].version })
	return steps, nil
}

// execScript runs a migration file statement by statement (split on lines
// that end in ';'), since not every driver runs several statements at once.
func execScript(ctx context.Context, tx *sql.Tx, script string) error {
	var stmt strings.Builder
	for _, line := range strings.Split(script, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") || trimmed == "" {
			continue
		}
		stmt.WriteString(line)
		stmt.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			if _, err := tx.ExecContext(ctx, stmt.String()); err != nil {
				return fmt.Errorf("%w in: %s", err, stmt.String())
			}
			stmt.Reset()
		}
	}
	if strings.TrimSpace(stmt.String()) != "" {
		if _, err := tx.ExecContext(ctx, stmt.String()); err != nil {
			return err
		}
	}
	return nil
}
