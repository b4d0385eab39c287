package recording

import (
	"strconv"
	"strings"
)

// byteRange is one satisfiable range [start, end] (inclusive) of a body.
type byteRange struct{ start, end int64 }

// parseRange reads an HTTP Range header (RFC 9110 14.1.2) against a body
// of size bytes. It returns ok false when the header is to be ignored (absent,
// malformed, not bytes, or several ranges: the whole body is sent) and
// satisfiable false when it names no byte of the body (416).
func parseRange(h string, size int64) (r byteRange, ok, satisfiable bool) {
	spec, found := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return byteRange{}, false, false
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return byteRange{}, false, false
	}
	num := func(s string) (int64, bool) {
		if s == "" || len(s) > 18 {
			return 0, false
		}
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	if first == "" { // suffix: the last n bytes
		n, valid := num(last)
		if !valid {
			return byteRange{}, false, false
		}
		if n == 0 || size == 0 {
			return byteRange{}, true, false
		}
		return byteRange{start: max(size-n, 0), end: size - 1}, true, true
	}
	start, valid := num(first)
	if !valid {
		return byteRange{}, false, false
	}
	end := size - 1
	if last != "" {
		e, valid := num(last)
		if !valid || e < start {
			return byteRange{}, false, false
		}
		end = min(e, size-1)
	}
	if start >= size {
		return byteRange{}, true, false
	}
	return byteRange{start: start, end: end}, true, true
}
