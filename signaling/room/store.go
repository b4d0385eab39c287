package room

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/roomid"
	"github.com/livesell/livesell/internal/sqldb"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store keeps rooms and push keys in the SQL store. It is safe for
// concurrent use; every method is one statement or one transaction.
type Store struct {
	db *sqldb.DB
}

// NewStore applies the "rooms" migrations and returns the store.
func NewStore(ctx context.Context, db *sqldb.DB) (*Store, error) {
	if db == nil {
		return nil, errors.New("room: no SQL store")
	}
	migrations, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("room: migrations: %w", err)
	}
	if err := db.Migrate(ctx, "rooms", migrations); err != nil {
		return nil, fmt.Errorf("room: %w", err)
	}
	return &Store{db: db}, nil
}

// NewRoom are the fields of a room to create.
type NewRoom struct {
	// ID, when empty, is generated.
	ID            string
	Title         string
	Private       bool
	AnonymousChat bool
	// StartsAt, when set, schedules the show (shown as StateScheduled
	// while it is ahead and the room is idle).
	StartsAt *time.Time
	// CoverURL is an https image URL or "" (see ValidCoverURL).
	CoverURL string
	// SellAfterEnd and NextRoom shape the closing screen (see Room).
	SellAfterEnd bool
	NextRoom     string
}

// Patch changes some fields of a room; nil fields are left alone.
type Patch struct {
	Title         *string
	Private       *bool
	AnonymousChat *bool
	// StartsAt sets the start time; ClearStartsAt removes it.
	StartsAt      *time.Time
	ClearStartsAt bool
	// CoverURL sets the cover ("" removes it).
	CoverURL *string
	// SellAfterEnd sets whether the goods stay buyable once ended.
	SellAfterEnd *bool
	// NextRoom sets the next show's room id ("" removes it).
	NextRoom *string
	// Record sets whether the room's lives are recorded.
	Record *bool
}

// ListOptions page through rooms, newest first.
type ListOptions struct {
	// Limit is 1..500; 0 means 100.
	Limit int
	// Offset skips that many rooms.
	Offset int
	// PublicOnly leaves out private rooms.
	PublicOnly bool
}

// ValidTitle reports whether title is acceptable: 1 to MaxTitleRunes
// characters of valid UTF-8 after trimming, no control characters.
func ValidTitle(title string) bool {
	t := strings.TrimSpace(title)
	if t == "" || !utf8.ValidString(t) || utf8.RuneCountInString(t) > MaxTitleRunes {
		return false
	}
	for _, r := range t {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// ValidCoverURL reports whether u is acceptable as a cover: "" (none) or
// an absolute https:// URL with a host, at most MaxCoverURLLen bytes,
// without spaces or control characters.
func ValidCoverURL(u string) bool {
	if u == "" {
		return true
	}
	if len(u) > MaxCoverURLLen || !utf8.ValidString(u) {
		return false
	}
	for _, r := range u {
		if r <= 0x20 || r == 0x7f {
			return false
		}
	}
	parsed, err := url.Parse(u)
	return err == nil && parsed.Scheme == "https" && parsed.Host != "" && parsed.User == nil
}

func validSchedule(cover, next *string) error {
	if cover != nil && !ValidCoverURL(*cover) {
		return fmt.Errorf("%w: cover_url must be an https:// URL of at most %d bytes", ErrInvalid, MaxCoverURLLen)
	}
	if next != nil && *next != "" && !roomid.Valid(*next) {
		return fmt.Errorf("%w: next_room must be a room id", ErrInvalid)
	}
	return nil
}

func millis(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

const roomColumns = `id, title, private, anonymous_chat, state, created_at, starts_at, cover_url, sell_after_end, next_room, record`

type scanner interface{ Scan(dest ...any) error }

func scanRoom(row scanner) (Room, error) {
	var r Room
	var state string
	var created int64
	var starts sql.NullInt64
	if err := row.Scan(&r.ID, &r.Title, &r.Private, &r.AnonymousChat, &state, &created, &starts, &r.CoverURL, &r.SellAfterEnd, &r.NextRoom, &r.Record); err != nil {
		return Room{}, err
	}
	if starts.Valid {
		t := time.UnixMilli(starts.Int64).UTC()
		r.StartsAt = &t
	}
	r.State = State(state)
	r.CreatedAt = time.UnixMilli(created).UTC()
	return r, nil
}

// Create stores a new idle room. It fails with ErrInvalid for a bad id or
// title and ErrExists when the id is taken.
func (s *Store) Create(ctx context.Context, n NewRoom) (Room, error) {
	if n.ID == "" {
		n.ID = "r" + auth.RandomSecret(8)
	}
	if !roomid.Valid(n.ID) {
		return Room{}, fmt.Errorf("%w: id must be 1-%d letters, digits, '-' or '_'", ErrInvalid, MaxIDLen)
	}
	if !ValidTitle(n.Title) {
		return Room{}, fmt.Errorf("%w: title must be 1-%d printable characters", ErrInvalid, MaxTitleRunes)
	}
	if err := validSchedule(&n.CoverURL, &n.NextRoom); err != nil {
		return Room{}, err
	}
	now := time.Now().UnixMilli()
	row := s.db.QueryRowContext(ctx, `INSERT INTO rooms (id, title, private, anonymous_chat, state, created_at, updated_at, starts_at, cover_url, sell_after_end, next_room)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING `+roomColumns,
		n.ID, strings.TrimSpace(n.Title), n.Private, n.AnonymousChat, string(StateIdle), now, now, millis(n.StartsAt), n.CoverURL, n.SellAfterEnd, n.NextRoom)
	r, err := scanRoom(row)
	if err != nil {
		if sqldb.IsUniqueViolation(err) {
			return Room{}, fmt.Errorf("%w: %s", ErrExists, n.ID)
		}
		return Room{}, fmt.Errorf("room: create: %w", err)
	}
	return r, nil
}

// Get returns the room id, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (Room, error) {
	if !roomid.Valid(id) {
		return Room{}, fmt.Errorf("%w: room %q", ErrNotFound, id)
	}
	r, err := scanRoom(s.db.QueryRowContext(ctx, `SELECT `+roomColumns+` FROM rooms WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Room{}, fmt.Errorf("%w: room %s", ErrNotFound, id)
	}
	if err != nil {
		return Room{}, fmt.Errorf("room: get %s: %w", id, err)
	}
	return r, nil
}

// List returns rooms newest first.
func (s *Store) List(ctx context.Context, o ListOptions) ([]Room, error) {
	if o.Limit <= 0 {
		o.Limit = 100
	}
	o.Limit = min(o.Limit, 500)
	o.Offset = max(o.Offset, 0)
	q := `SELECT ` + roomColumns + ` FROM rooms`
	if o.PublicOnly {
		q += ` WHERE private = FALSE`
	}
	q += ` ORDER BY created_at DESC, id LIMIT $1 OFFSET $2`
	rows, err := s.db.QueryContext(ctx, q, o.Limit, o.Offset)
	if err != nil {
		return nil, fmt.Errorf("room: list: %w", err)
	}
	defer rows.Close()
	rooms := []Room{}
	for rows.Next() {
		r, err := scanRoom(rows)
		if err != nil {
			return nil, fmt.Errorf("room: list: %w", err)
		}
		rooms = append(rooms, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("room: list: %w", err)
	}
	return rooms, nil
}

// Update applies p to room id and returns the result.
func (s *Store) Update(ctx context.Context, id string, p Patch) (Room, error) {
	if p.Title != nil && !ValidTitle(*p.Title) {
		return Room{}, fmt.Errorf("%w: title must be 1-%d printable characters", ErrInvalid, MaxTitleRunes)
	}
	if err := validSchedule(p.CoverURL, p.NextRoom); err != nil {
		return Room{}, err
	}
	var out Room
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := scanRoom(tx.QueryRowContext(ctx, `SELECT `+roomColumns+` FROM rooms WHERE id = $1`+s.db.ForUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: room %s", ErrNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("room: update %s: %w", id, err)
		}
		if p.Title != nil {
			r.Title = strings.TrimSpace(*p.Title)
		}
		if p.Private != nil {
			r.Private = *p.Private
		}
		if p.AnonymousChat != nil {
			r.AnonymousChat = *p.AnonymousChat
		}
		if p.StartsAt != nil {
			t := p.StartsAt.UTC().Truncate(time.Millisecond)
			r.StartsAt = &t
		}
		if p.ClearStartsAt {
			r.StartsAt = nil
		}
		if p.CoverURL != nil {
			r.CoverURL = *p.CoverURL
		}
		if p.SellAfterEnd != nil {
			r.SellAfterEnd = *p.SellAfterEnd
		}
		if p.NextRoom != nil {
			r.NextRoom = *p.NextRoom
		}
		if p.Record != nil {
			r.Record = *p.Record
		}
		if _, err := tx.ExecContext(ctx, `UPDATE rooms SET title = $1, private = $2, anonymous_chat = $3, updated_at = $4, starts_at = $5, cover_url = $6, sell_after_end = $7, next_room = $8, record = $9 WHERE id = $10`,
			r.Title, r.Private, r.AnonymousChat, time.Now().UnixMilli(), millis(r.StartsAt), r.CoverURL, r.SellAfterEnd, r.NextRoom, r.Record, id); err != nil {
			return fmt.Errorf("room: update %s: %w", id, err)
		}
		out = r
		return nil
	})
	return out, err
}

// SetState sets room id's state unconditionally and returns the room.
func (s *Store) SetState(ctx context.Context, id string, st State) (Room, error) {
	if !st.Valid() {
		return Room{}, fmt.Errorf("%w: state %q", ErrInvalid, st)
	}
	r, err := scanRoom(s.db.QueryRowContext(ctx, `UPDATE rooms SET state = $1, updated_at = $2 WHERE id = $3 RETURNING `+roomColumns,
		string(st), time.Now().UnixMilli(), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Room{}, fmt.Errorf("%w: room %s", ErrNotFound, id)
	}
	if err != nil {
		return Room{}, fmt.Errorf("room: set state %s: %w", id, err)
	}
	return r, nil
}

// Transition moves room id to state to if it is in one of the states from,
// and reports whether it did. It never leaves StateEnded unless from says so.
func (s *Store) Transition(ctx context.Context, id string, to State, from ...State) (bool, error) {
	if !to.Valid() || len(from) == 0 {
		return false, fmt.Errorf("%w: transition to %q", ErrInvalid, to)
	}
	args := []any{string(to), time.Now().UnixMilli(), id}
	ph := make([]string, len(from))
	for i, f := range from {
		args = append(args, string(f))
		ph[i] = fmt.Sprintf("$%d", i+4)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE rooms SET state = $1, updated_at = $2 WHERE id = $3 AND state IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return false, fmt.Errorf("room: transition %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("room: transition %s: %w", id, err)
	}
	return n > 0, nil
}

// Ended returns those of roomIDs whose live was ended. The signaling layer
// polls it for the rooms of its sessions, so that ending a live through
// another node closes the sessions on this one too.
func (s *Store) Ended(ctx context.Context, roomIDs []string) ([]string, error) {
	if len(roomIDs) == 0 {
		return nil, nil
	}
	ph := make([]string, len(roomIDs))
	args := make([]any, 0, len(roomIDs)+1)
	args = append(args, string(StateEnded))
	for i, id := range roomIDs {
		ph[i] = fmt.Sprintf("$%d", i+2)
		args = append(args, id)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM rooms WHERE state = $1 AND id IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("room: ended rooms: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("room: ended rooms: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("room: ended rooms: %w", err)
	}
	return out, nil
}
