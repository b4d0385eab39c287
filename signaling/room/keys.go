package room

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/livesell/livesell/internal/auth"
)

// KeyPrefix starts every push key, so that a leaked key is recognisable
// (secret scanners, logs).
const KeyPrefix = auth.PushKeyPrefix

// maxKeyLen bounds a presented key before it is hashed.
const maxKeyLen = 256

// hashKey is the stored form of a push key: hex SHA-256. Keys carry 192
// random bits, so a fast hash is enough.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

const keyColumns = `id, room_id, created_at, revoked_at`

func scanKey(row scanner) (Key, error) {
	var k Key
	var created int64
	var revoked sql.NullInt64
	if err := row.Scan(&k.ID, &k.RoomID, &created, &revoked); err != nil {
		return Key{}, err
	}
	k.CreatedAt = time.UnixMilli(created).UTC()
	if revoked.Valid {
		t := time.UnixMilli(revoked.Int64).UTC()
		k.RevokedAt = &t
	}
	return k, nil
}

// IssueKey creates a push key for room roomID and returns its record and the
// plaintext key, which is not stored and cannot be shown again.
func (s *Store) IssueKey(ctx context.Context, roomID string) (Key, string, error) {
	var k Key
	var plain string
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		k, plain, err = s.issueKeyTx(ctx, tx, roomID)
		return err
	})
	return k, plain, err
}

func (s *Store) issueKeyTx(ctx context.Context, tx *sql.Tx, roomID string) (Key, string, error) {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM rooms WHERE id = $1`+s.db.ForUpdate(), roomID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, "", fmt.Errorf("%w: room %s", ErrNotFound, roomID)
	}
	if err != nil {
		return Key{}, "", fmt.Errorf("room: issue key: %w", err)
	}
	var active int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM room_push_keys WHERE room_id = $1 AND revoked_at IS NULL`, roomID).Scan(&active); err != nil {
		return Key{}, "", fmt.Errorf("room: issue key: %w", err)
	}
	if active >= MaxActiveKeys {
		return Key{}, "", fmt.Errorf("%w: room %s has %d", ErrTooManyKeys, roomID, active)
	}
	plain := KeyPrefix + auth.RandomSecret(24)
	k, err := scanKey(tx.QueryRowContext(ctx, `INSERT INTO room_push_keys (id, room_id, hash, created_at) VALUES ($1, $2, $3, $4) RETURNING `+keyColumns,
		"k"+auth.RandomSecret(8), roomID, hashKey(plain), time.Now().UnixMilli()))
	if err != nil {
		return Key{}, "", fmt.Errorf("room: issue key: %w", err)
	}
	return k, plain, nil
}

// RevokeKey revokes key keyID of room roomID (idempotent) and returns its
// record. It fails with ErrNotFound for a key of another room.
func (s *Store) RevokeKey(ctx context.Context, roomID, keyID string) (Key, error) {
	var k Key
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		k, err = s.revokeKeyTx(ctx, tx, roomID, keyID)
		return err
	})
	return k, err
}

func (s *Store) revokeKeyTx(ctx context.Context, tx *sql.Tx, roomID, keyID string) (Key, error) {
	// COALESCE keeps the first revocation time when revoked twice.
	k, err := scanKey(tx.QueryRowContext(ctx, `UPDATE room_push_keys SET revoked_at = COALESCE(revoked_at, $1)
		WHERE id = $2 AND room_id = $3 RETURNING `+keyColumns, time.Now().UnixMilli(), keyID, roomID))
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, fmt.Errorf("%w: key %s of room %s", ErrNotFound, keyID, roomID)
	}
	if err != nil {
		return Key{}, fmt.Errorf("room: revoke key: %w", err)
	}
	return k, nil
}

// RotateKey revokes keyID and issues a new key for room roomID in one
// transaction. It returns the new key's record and plaintext.
func (s *Store) RotateKey(ctx context.Context, roomID, keyID string) (Key, string, error) {
	var k Key
	var plain string
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.revokeKeyTx(ctx, tx, roomID, keyID); err != nil {
			return err
		}
		var err error
		k, plain, err = s.issueKeyTx(ctx, tx, roomID)
		return err
	})
	return k, plain, err
}

// ListKeys returns room roomID's keys (revoked ones included), oldest first.
func (s *Store) ListKeys(ctx context.Context, roomID string) ([]Key, error) {
	if _, err := s.Get(ctx, roomID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+keyColumns+` FROM room_push_keys WHERE room_id = $1 ORDER BY created_at, id`, roomID)
	if err != nil {
		return nil, fmt.Errorf("room: list keys: %w", err)
	}
	defer rows.Close()
	keys := []Key{}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("room: list keys: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("room: list keys: %w", err)
	}
	return keys, nil
}

// VerifyPushKey checks a presented push key against room roomID. It returns
// the key's record, or ErrBadKey (unknown, or a key of another room) or
// ErrKeyRevoked. The stored hash is compared in constant time.
func (s *Store) VerifyPushKey(ctx context.Context, roomID, key string) (Key, error) {
	if key == "" || len(key) > maxKeyLen || !strings.HasPrefix(key, KeyPrefix) {
		return Key{}, ErrBadKey
	}
	want := hashKey(key)
	var stored string
	var k Key
	var created int64
	var revoked sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT id, room_id, hash, created_at, revoked_at FROM room_push_keys WHERE hash = $1`, want).
		Scan(&k.ID, &k.RoomID, &stored, &created, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, ErrBadKey
	}
	if err != nil {
		return Key{}, fmt.Errorf("room: verify key: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(stored), []byte(want)) != 1 || k.RoomID != roomID {
		return Key{}, ErrBadKey
	}
	k.CreatedAt = time.UnixMilli(created).UTC()
	if revoked.Valid {
		t := time.UnixMilli(revoked.Int64).UTC()
		k.RevokedAt = &t
		return k, fmt.Errorf("%w: key %s", ErrKeyRevoked, k.ID)
	}
	return k, nil
}

// Revoked returns those of keyIDs that are revoked (or no longer exist).
// The signaling layer polls it for the keys of its live publishers, so that
// a revocation made on another node ends the publish too.
func (s *Store) Revoked(ctx context.Context, keyIDs []string) ([]string, error) {
	if len(keyIDs) == 0 {
		return nil, nil
	}
	ph := make([]string, len(keyIDs))
	args := make([]any, len(keyIDs))
	for i, id := range keyIDs {
		ph[i] = fmt.Sprintf("$%d", i+1)
		args[i] = id
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM room_push_keys WHERE revoked_at IS NULL AND id IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("room: revoked keys: %w", err)
	}
	defer rows.Close()
	active := make(map[string]bool, len(keyIDs))
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("room: revoked keys: %w", err)
		}
		active[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("room: revoked keys: %w", err)
	}
	var out []string
	for _, id := range keyIDs {
		if !active[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

// PushKeyID is auth.PushKeys: the id of an active push key of roomID, or
// an error wrapping auth.ErrInvalidPushKey or auth.ErrPushKeyRevoked.
func (s *Store) PushKeyID(ctx context.Context, roomID, key string) (string, error) {
	k, err := s.VerifyPushKey(ctx, roomID, key)
	switch {
	case err == nil:
		return k.ID, nil
	case errors.Is(err, ErrKeyRevoked):
		return "", fmt.Errorf("%w: %w", auth.ErrPushKeyRevoked, err)
	case errors.Is(err, ErrBadKey), errors.Is(err, ErrNotFound):
		return "", fmt.Errorf("%w: %w", auth.ErrInvalidPushKey, err)
	}
	return "", err
}
