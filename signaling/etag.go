package signaling

import (
	"strings"

	"github.com/livesell/livesell/internal/auth"
)

// newETag returns a fresh strong entity-tag naming one ICE session.
func newETag() string { return `"` + auth.RandomSecret(12) + `"` }

// ifMatch evaluates an If-Match header against the current strong etag
// (RFC 9110 section 13.1.1): "*" matches any current resource, otherwise
// one of the listed strong tags must equal etag; weak tags never match.
func ifMatch(header, etag string) bool {
	header = strings.TrimSpace(header)
	if header == "*" {
		return true
	}
	if len(header) > 1024 {
		return false
	}
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimSpace(tag)
		if len(tag) >= 2 && tag[0] == '"' && tag[len(tag)-1] == '"' && tag == etag {
			return true
		}
	}
	return false
}
