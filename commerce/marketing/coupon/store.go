package coupon

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/commerce/internal/migrate"
	"github.com/livesell/livesell/commerce/outbox"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/sqldb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies the coupon migrations (component "marketing_coupon").
func Migrate(ctx context.Context, db *sqldb.DB) error {
	return migrate.Embedded(ctx, db, migrations, "marketing_coupon", "coupon schema")
}

// store is the coupons' SQL.
type store struct{ db *sqldb.DB }

func (s store) insertTemplate(ctx context.Context, t Template) error {
	body, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("coupon: encode: %w", err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO coupon_templates (id, room, body, issue_on_paid, created_at) VALUES ($1, $2, $3, $4, $5)`,
		t.ID, t.Room, string(body), t.IssueOnPaid, t.CreatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("coupon: insert template: %w", err)
	}
	return nil
}

func scanTemplate(row interface{ Scan(...any) error }) (Template, error) {
	var body string
	var t Template
	if err := row.Scan(&body); err != nil {
		return t, err
	}
	if err := json.Unmarshal([]byte(body), &t); err != nil {
		return t, fmt.Errorf("coupon: decode: %w", err)
	}
	return t, nil
}

func (s store) template(ctx context.Context, id string) (Template, error) {
	t, err := scanTemplate(s.db.QueryRowContext(ctx, `SELECT body FROM coupon_templates WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, notFound(id)
	}
	if err != nil {
		return t, fmt.Errorf("coupon: template: %w", err)
	}
	return t, nil
}

func (s store) templates(ctx context.Context, where string, arg any) ([]Template, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT body FROM coupon_templates WHERE `+where+` ORDER BY created_at, id`, arg)
	if err != nil {
		return nil, fmt.Errorf("coupon: templates: %w", err)
	}
	defer rows.Close()
	var out []Template
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// audit is one audit row.
type audit struct {
	template, claim, actor, action, addr, detail string
	at                                           time.Time
}

func (s store) addAudit(ctx context.Context, tx interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, a audit) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO coupon_audit (id, template_id, claim_id, actor, action, addr, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		ids.New("au_"), a.template, a.claim, a.actor, a.action, a.addr, a.detail, a.at.UnixMilli())
	if err != nil {
		return fmt.Errorf("coupon: audit: %w", err)
	}
	return nil
}

// newClaim is a claim to write with its room, source and address.
type newClaim struct {
	c                  Claim
	room, source, addr string
}

// insertClaim writes one claim (see insertClaims).
func (s store) insertClaim(ctx context.Context, c Claim, room, source, addr string) error {
	return s.insertClaims(ctx, []newClaim{{c: c, room: room, source: source, addr: addr}})
}

// insertClaims writes claims, each with its audit row and its outbox
// event, in one transaction of three multi-row statements; a claim already
// written (a retried tap, a replayed event) is left alone.
func (s store) insertClaims(ctx context.Context, batch []newClaim) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		var q strings.Builder
		q.WriteString(`INSERT INTO coupon_claims (id, template_id, user_id, status, source, amount_minor, claimed_at, updated_at) VALUES `)
		args := make([]any, 0, 7*len(batch))
		for i, n := range batch {
			if i > 0 {
				q.WriteByte(',')
			}
			k := len(args)
			fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5, k+6, k+7, k+7)
			args = append(args, n.c.ID, n.c.TemplateID, n.c.UserID, StatusClaimed, n.source, n.c.AmountMinor, n.c.ClaimedAt.UnixMilli())
		}
		q.WriteString(` ON CONFLICT (id) DO NOTHING RETURNING id`)
		rows, err := tx.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return fmt.Errorf("coupon: insert claims: %w", err)
		}
		fresh := map[string]bool{}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("coupon: insert claims: %w", err)
			}
			fresh[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("coupon: insert claims: %w", err)
		}
		if len(fresh) == 0 {
			return nil
		}
		var ob, au strings.Builder
		ob.WriteString(`INSERT INTO commerce_outbox (` + outbox.Columns + `) VALUES `)
		au.WriteString(`INSERT INTO coupon_audit (id, template_id, claim_id, actor, action, addr, detail, at) VALUES `)
		var obArgs, auArgs []any
		for _, n := range batch {
			c := n.c
			if !fresh[c.ID] {
				continue
			}
			delete(fresh, c.ID) // a claim named twice in one batch is written once
			typ := events.CouponClaimed
			if n.source != "claim" {
				typ = events.CouponIssued
			}
			ev := events.CouponEvent{ID: ids.New("evt_"), Type: typ, CouponID: c.TemplateID, ClaimID: c.ID, Room: n.room, UserID: c.UserID, OrderID: c.OrderID, At: c.ClaimedAt}
			body, _ := json.Marshal(ev)
			if len(obArgs) > 0 {
				ob.WriteByte(',')
				au.WriteByte(',')
			}
			k := len(obArgs)
			fmt.Fprintf(&ob, "($%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4)
			obArgs = append(obArgs, outbox.Row{ID: ev.ID, Type: typ, Payload: string(body), CreatedAt: c.ClaimedAt.UnixMilli()}.Args()...)
			k = len(auArgs)
			fmt.Fprintf(&au, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5, k+6, k+7, k+8)
			auArgs = append(auArgs, ids.New("au_"), c.TemplateID, c.ID, c.UserID, n.source, n.addr, "", c.ClaimedAt.UnixMilli())
		}
		if _, err := tx.ExecContext(ctx, ob.String(), obArgs...); err != nil {
			return fmt.Errorf("coupon: outbox: %w", err)
		}
		if _, err := tx.ExecContext(ctx, au.String(), auArgs...); err != nil {
			return fmt.Errorf("coupon: audit: %w", err)
		}
		return nil
	})
}

func scanClaim(row interface{ Scan(...any) error }) (Claim, error) {
	var c Claim
	var at int64
	err := row.Scan(&c.ID, &c.TemplateID, &c.UserID, &c.Status, &c.OrderID, &c.AmountMinor, &at)
	c.ClaimedAt = time.UnixMilli(at).UTC()
	return c, err
}

const claimCols = `id, template_id, user_id, status, order_id, amount_minor, claimed_at`

func (s store) claims(ctx context.Context, where string, args ...any) ([]Claim, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+claimCols+` FROM coupon_claims WHERE `+where+` ORDER BY claimed_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("coupon: claims: %w", err)
	}
	defer rows.Close()
	var out []Claim
	for rows.Next() {
		c, err := scanClaim(rows)
		if err != nil {
			return nil, fmt.Errorf("coupon: claims: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// use marks claims (of user, claimed) used by order, all or none.
func (s store) use(ctx context.Context, user, order string, claims []string, now time.Time) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, id := range claims {
			res, err := tx.ExecContext(ctx, `UPDATE coupon_claims SET status = $1, order_id = $2, updated_at = $3
				WHERE id = $4 AND user_id = $5 AND (status = $6 OR (status = $1 AND order_id = $2))`,
				StatusUsed, order, now.UnixMilli(), id, user, StatusClaimed)
			if err != nil {
				return fmt.Errorf("coupon: use: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errNotClaimed(id)
			}
		}
		return nil
	})
}

// release gives order's used claims back (status claimed) or voids them;
// a claim no longer used by order is left alone, so a repeated release
// does nothing. It returns how many claims changed.
func (s store) release(ctx context.Context, order, to string, templates func(string) bool, now time.Time, action string) (int, error) {
	n := 0
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+claimCols+` FROM coupon_claims WHERE order_id = $1 AND status = $2`+s.db.ForUpdate(), order, StatusUsed)
		if err != nil {
			return fmt.Errorf("coupon: release: %w", err)
		}
		var used []Claim
		for rows.Next() {
			c, err := scanClaim(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("coupon: release: %w", err)
			}
			used = append(used, c)
		}
		rows.Close()
		for _, c := range used {
			status, orderID := to, order
			if to == StatusClaimed {
				orderID = ""
			}
			if templates != nil && !templates(c.TemplateID) {
				status, orderID = StatusVoid, order
			}
			if _, err := tx.ExecContext(ctx, `UPDATE coupon_claims SET status = $1, order_id = $2, returns = returns + 1, updated_at = $3 WHERE id = $4 AND status = $5`,
				status, orderID, now.UnixMilli(), c.ID, StatusUsed); err != nil {
				return fmt.Errorf("coupon: release: %w", err)
			}
			if err := s.addAudit(ctx, tx, audit{template: c.TemplateID, claim: c.ID, actor: "order:" + order, action: action + ":" + status, at: now}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// once records event id; false if it was recorded before.
func (s store) once(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO coupon_events (id, at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, id, now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("coupon: event: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
