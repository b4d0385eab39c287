package outbox

import (
	"context"
	"strconv"
	"strings"

	"github.com/livesell/livesell/internal/sqldb"
)

// Queued is an outbox row not yet published.
type Queued struct {
	ID, Type, Payload string
}

// ReadPending returns up to limit unpublished rows of table (an outbox
// table of this package's shape: id, event_type, payload, published_at;
// commerce_outbox or presale_outbox), lowest id first. Its errors are the
// database's, for the caller to wrap.
func ReadPending(ctx context.Context, db *sqldb.DB, table string, limit int) ([]Queued, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, event_type, payload FROM `+table+` WHERE published_at = 0 ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	var pending []Queued
	for rows.Next() {
		var x Queued
		if err := rows.Scan(&x.ID, &x.Type, &x.Payload); err != nil {
			rows.Close()
			return nil, err
		}
		pending = append(pending, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return pending, nil
}

// MarkPublished sets published_at to at (Unix milliseconds) on the rows
// ids of table, in one statement; none is a no-op. Its errors are the
// database's, for the caller to wrap.
func MarkPublished(ctx context.Context, db *sqldb.DB, table string, at int64, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, at)
	var q strings.Builder
	q.WriteString(`UPDATE ` + table + ` SET published_at = $1 WHERE id IN (`)
	for i, id := range ids {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString("$" + strconv.Itoa(i+2))
		args = append(args, id)
	}
	q.WriteByte(')')
	_, err := db.ExecContext(ctx, q.String(), args...)
	return err
}
