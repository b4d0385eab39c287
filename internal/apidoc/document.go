package apidoc

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/textproto"
	"sort"
	"strconv"
	"strings"
)

// MaxDocumentBytes bounds a document given to Parse.
const MaxDocumentBytes = 4 << 20

// ErrInvalid means a document is not well-formed OpenAPI 3.
var ErrInvalid = errors.New("apidoc: invalid OpenAPI document")

// Methods are the HTTP methods an OpenAPI path item may describe, in the
// order the specification lists them.
var Methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// Operation is one documented or registered method on one path, the path
// in OpenAPI's template form (/api/orders/{id}).
type Operation struct {
	Method string // upper case: GET, POST, …
	Path   string
}

func (o Operation) String() string { return o.Method + " " + o.Path }

// Document is a parsed OpenAPI document.
type Document struct {
	// Version is the openapi field, e.g. "3.0.3".
	Version string
	root    map[string]any
}

// Parse reads an OpenAPI document in JSON (or YAML) without judging it
// beyond its top-level shape; Validate checks the rest.
func Parse(doc []byte) (*Document, error) {
	if len(doc) > MaxDocumentBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalid, MaxDocumentBytes)
	}
	js, err := toJSON(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var root map[string]any
	if err := json.Unmarshal(js, &root); err != nil {
		return nil, fmt.Errorf("%w: not an object: %v", ErrInvalid, err)
	}
	v, _ := root["openapi"].(string)
	if !strings.HasPrefix(v, "3.0.") && !strings.HasPrefix(v, "3.1.") {
		return nil, fmt.Errorf("%w: openapi is %q, not 3.0.x or 3.1.x", ErrInvalid, v)
	}
	if _, ok := root["paths"].(map[string]any); !ok {
		return nil, fmt.Errorf("%w: no paths object", ErrInvalid)
	}
	return &Document{Version: v, root: root}, nil
}

// Operations returns every documented operation, sorted by path then method.
func (d *Document) Operations() []Operation {
	paths, _ := d.root["paths"].(map[string]any)
	var out []Operation
	for p, item := range paths {
		m, _ := item.(map[string]any)
		for _, method := range Methods {
			if _, ok := m[method]; ok {
				out = append(out, Operation{Method: strings.ToUpper(method), Path: p})
			}
		}
	}
	sortOps(out)
	return out
}

// Has reports whether op is documented.
func (d *Document) Has(op Operation) bool {
	paths, _ := d.root["paths"].(map[string]any)
	item, _ := paths[op.Path].(map[string]any)
	_, ok := item[strings.ToLower(op.Method)]
	return ok
}

// Responses returns the documented response keys of op ("200", "4XX",
// "default", …), or nil when op is not documented.
func (d *Document) Responses(op Operation) []string {
	o := d.operation(op)
	if o == nil {
		return nil
	}
	rs, _ := o["responses"].(map[string]any)
	keys := make([]string, 0, len(rs))
	for k := range rs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Documents reports whether op documents the HTTP status code, directly,
// through a range such as "4XX", or through "default".
func (d *Document) Documents(op Operation, status int) bool {
	return d.response(op, status) != ""
}

// response returns the response key of op that covers status: the exact
// code, else its nXX range, else "default", else "".
func (d *Document) response(op Operation, status int) string {
	keys := d.Responses(op)
	code := strconv.Itoa(status)
	for _, want := range []string{code, code[:1] + "XX", "default"} {
		for _, k := range keys {
			if strings.EqualFold(k, want) {
				return k
			}
		}
	}
	return ""
}

// ContentTypes returns the media types documented for op's response to
// status (nil when it documents no body), following $ref.
func (d *Document) ContentTypes(op Operation, status int) []string {
	key := d.response(op, status)
	if key == "" {
		return nil
	}
	rs, _ := d.operation(op)["responses"].(map[string]any)
	r := d.resolve(rs[key])
	content, _ := r["content"].(map[string]any)
	out := make([]string, 0, len(content))
	for mt := range content {
		out = append(out, mt)
	}
	sort.Strings(out)
	return out
}

// Headers returns the response headers documented for op's response to
// status, in canonical form, following $ref.
func (d *Document) Headers(op Operation, status int) []string {
	key := d.response(op, status)
	if key == "" {
		return nil
	}
	rs, _ := d.operation(op)["responses"].(map[string]any)
	hs, _ := d.resolve(rs[key])["headers"].(map[string]any)
	out := make([]string, 0, len(hs))
	for h := range hs {
		out = append(out, textproto.CanonicalMIMEHeaderKey(h))
	}
	sort.Strings(out)
	return out
}

// Secured reports whether op requires credentials: its security (or the
// document's) names at least one scheme and has no empty alternative.
func (d *Document) Secured(op Operation) bool {
	o := d.operation(op)
	if o == nil {
		return false
	}
	sec, ok := o["security"].([]any)
	if !ok {
		sec, _ = d.root["security"].([]any)
	}
	if len(sec) == 0 {
		return false
	}
	for _, alt := range sec {
		if m, _ := alt.(map[string]any); len(m) == 0 {
			return false
		}
	}
	return true
}

func (d *Document) operation(op Operation) map[string]any {
	paths, _ := d.root["paths"].(map[string]any)
	item, _ := paths[op.Path].(map[string]any)
	o, _ := item[strings.ToLower(op.Method)].(map[string]any)
	return o
}

func sortOps(ops []Operation) {
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
}
