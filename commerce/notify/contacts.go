package notify

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/livesell/livesell/commerce/internal/migrate"
	"github.com/livesell/livesell/internal/sqldb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies the notify migrations (the contact table) under the
// "notify" component.
func Migrate(ctx context.Context, db *sqldb.DB) error {
	return migrate.Embedded(ctx, db, migrations, "notify", "notify schema")
}

// Contacts stores how each user is reached (e-mail address, WeChat openid).
type Contacts struct{ db *sqldb.DB }

// NewContacts returns the contact store on db (migrated by Migrate).
func NewContacts(db *sqldb.DB) *Contacts { return &Contacts{db: db} }

// Set replaces userID's contact; an empty Recipient deletes it.
func (c *Contacts) Set(ctx context.Context, userID string, r Recipient) error {
	if r == (Recipient{}) {
		if _, err := c.db.ExecContext(ctx, `DELETE FROM notify_contacts WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("notify: delete contact: %w", err)
		}
		return nil
	}
	_, err := c.db.ExecContext(ctx, `INSERT INTO notify_contacts (user_id, email, wechat_openid, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, wechat_openid = excluded.wechat_openid, updated_at = excluded.updated_at`,
		userID, r.Email, r.WeChatOpenID, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("notify: set contact: %w", err)
	}
	return nil
}

// Lookup returns userID's contact (empty when none is stored).
func (c *Contacts) Lookup(ctx context.Context, userID string) (Recipient, error) {
	var r Recipient
	err := c.db.QueryRowContext(ctx, `SELECT email, wechat_openid FROM notify_contacts WHERE user_id = $1`, userID).Scan(&r.Email, &r.WeChatOpenID)
	if errors.Is(err, sql.ErrNoRows) {
		return Recipient{}, nil
	}
	if err != nil {
		return Recipient{}, fmt.Errorf("notify: contact: %w", err)
	}
	return r, nil
}
