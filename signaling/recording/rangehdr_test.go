package recording

import "testing"

func TestParseRange(t *testing.T) {
	for _, tt := range []struct {
		h           string
		size        int64
		r           byteRange
		ok, satisfy bool
	}{
		{"", 100, byteRange{}, false, false},
		{"bytes=0-", 100, byteRange{0, 99}, true, true},
		{"bytes=0-0", 100, byteRange{0, 0}, true, true},
		{"bytes=10-19", 100, byteRange{10, 19}, true, true},
		{"bytes=90-200", 100, byteRange{90, 99}, true, true},
		{"bytes=-10", 100, byteRange{90, 99}, true, true},
		{"bytes=-200", 100, byteRange{0, 99}, true, true},
		{"bytes=100-", 100, byteRange{}, true, false},
		{"bytes=-0", 100, byteRange{}, true, false},
		{"bytes=5-4", 100, byteRange{}, false, false},
		{"bytes=0-1,5-6", 100, byteRange{}, false, false},
		{"items=0-1", 100, byteRange{}, false, false},
		{"bytes=a-b", 100, byteRange{}, false, false},
		{"bytes=+1-2", 100, byteRange{}, false, false},
		{"bytes=99999999999999999999-", 100, byteRange{}, false, false},
		{"bytes=0-", 0, byteRange{}, true, false},
	} {
		r, ok, sat := parseRange(tt.h, tt.size)
		if r != tt.r || ok != tt.ok || sat != tt.satisfy {
			t.Errorf("parseRange(%q, %d) = %v %v %v, want %v %v %v", tt.h, tt.size, r, ok, sat, tt.r, tt.ok, tt.satisfy)
		}
	}
}

// FuzzParseRange: whatever the header, a satisfiable range lies inside
// the body and is not empty.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-", "bytes=-5", "bytes=3-9", "bytes=1-2,3-4", "bytes=--", "bytes= 1 - 2"} {
		f.Add(s, int64(10))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			size = -size
		}
		if size < 0 {
			return
		}
		r, ok, sat := parseRange(h, size)
		if !ok && sat {
			t.Fatal("satisfiable but ignored")
		}
		if sat && (r.start < 0 || r.end < r.start || r.end >= size) {
			t.Fatalf("parseRange(%q, %d) = %+v: outside the body", h, size, r)
		}
	})
}
