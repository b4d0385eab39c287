package claim

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// MaxValueBytes bounds a claim's stored value (node id, space, base URL).
const MaxValueBytes = 2048

// ErrInvalidOwner is returned by ParseOwner and New for a malformed owner.
var ErrInvalidOwner = errors.New("claim: invalid owner")

// Owner names the node that holds a room: its id, unique per process, and
// the public base URL clients reach it at.
type Owner struct {
	NodeID string
	URL    string
}

// String is the stored form: "<node id> <base URL>".
func (o Owner) String() string { return o.NodeID + " " + o.URL }

// ParseOwner reads a stored claim value and checks it: a node id of
// letters, digits, '-' or '_', one space, and an absolute http or https URL
// without query, fragment or user info.
func ParseOwner(v string) (Owner, error) {
	if len(v) > MaxValueBytes {
		return Owner{}, fmt.Errorf("%w: %d bytes", ErrInvalidOwner, len(v))
	}
	id, base, ok := strings.Cut(v, " ")
	if !ok {
		return Owner{}, fmt.Errorf("%w: no base URL", ErrInvalidOwner)
	}
	if err := checkNodeID(id); err != nil {
		return Owner{}, err
	}
	u, err := checkBaseURL(base)
	if err != nil {
		return Owner{}, err
	}
	return Owner{NodeID: id, URL: u}, nil
}

func checkNodeID(id string) error {
	if id == "" || len(id) > 64 {
		return fmt.Errorf("%w: node id of %d bytes", ErrInvalidOwner, len(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("%w: node id has %q", ErrInvalidOwner, c)
		}
	}
	return nil
}

// checkBaseURL validates a node's public base URL and returns it without a
// trailing slash.
func checkBaseURL(s string) (string, error) {
	if strings.ContainsAny(s, " \t\r\n") {
		return "", fmt.Errorf("%w: base URL has white space", ErrInvalidOwner)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%w: base URL: %w", ErrInvalidOwner, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("%w: base URL scheme %q", ErrInvalidOwner, u.Scheme)
	case u.Host == "":
		return "", fmt.Errorf("%w: base URL without host", ErrInvalidOwner)
	case u.User != nil, u.RawQuery != "", u.ForceQuery, u.Fragment != "", u.Opaque != "":
		return "", fmt.Errorf("%w: base URL with user info, query or fragment", ErrInvalidOwner)
	}
	return strings.TrimRight(s, "/"), nil
}
