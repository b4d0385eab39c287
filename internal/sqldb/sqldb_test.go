package sqldb_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/livesell/livesell/internal/sqldb"
)

// TestSQLiteFilesArePrivate checks that the embedded store's files can be
// read by their owner only: a new data directory is 0700, livesell.db and
// its WAL are 0600, and a file left world-readable by an older version is
// narrowed on open.
func TestSQLiteFilesArePrivate(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string)
	}{
		{"new data dir", func(t *testing.T, dir string) {}},
		{"existing 0644 file", func(t *testing.T, dir string) {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "livesell.db"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(filepath.Join(dir, "livesell.db"), 0o644); err != nil { // despite the umask
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			tt.prepare(t, dir)
			db, err := sqldb.Open(context.Background(), "", dir)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`CREATE TABLE t (x INTEGER)`); err != nil { // makes SQLite write its WAL
				t.Fatal(err)
			}
			want := map[string]fs.FileMode{"livesell.db": 0o600, "livesell.db-wal": 0o600}
			if tt.name == "new data dir" {
				want["."] = 0o700
			}
			for name, mode := range want {
				st, err := os.Stat(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				if got := st.Mode().Perm(); got != mode {
					t.Errorf("%s: mode %v, want %v", name, got, mode)
				}
			}
		})
	}
}
