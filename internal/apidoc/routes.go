package apidoc

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// OpsPaths are the operational endpoints outside /api.
var OpsPaths = []string{"/healthz", "/readyz", "/metrics"}

// APIPrefixes are the path prefixes of the documented API; everything else
// a livesell node serves is a web page (studio, player, assets).
var APIPrefixes = []string{"/api/", "/whip/", "/whep/", "/ws/", "/pay/"}

// InScope reports whether a path (Fiber or OpenAPI form) belongs to the
// documented API: under APIPrefixes or one of OpsPaths.
func InScope(path string) bool {
	for _, p := range OpsPaths {
		if path == p {
			return true
		}
	}
	for _, p := range APIPrefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// ToOpenAPIPath turns a Fiber route path into an OpenAPI template:
// /api/orders/:id → /api/orders/{id} (an optional :id? too), and a
// wildcard segment (* or +) → {path}.
func ToOpenAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		switch {
		case strings.HasPrefix(s, ":"):
			name := strings.TrimRight(strings.TrimPrefix(s, ":"), "?+*")
			parts[i] = "{" + name + "}"
		case s == "*" || s == "+":
			parts[i] = "{path}"
		}
	}
	return strings.Join(parts, "/")
}

// Routes returns the operations app registers on paths accepted by scope
// (nil accepts all), de-duplicated and sorted. Middleware is left out, and
// so are HEAD (Fiber adds one to every GET), TRACE and CONNECT unless
// withHead is set, in which case HEAD routes are kept.
func Routes(app *fiber.App, scope func(path string) bool, withHead bool) []Operation {
	seen := map[Operation]bool{}
	var out []Operation
	for _, r := range app.GetRoutes(true) {
		if scope != nil && !scope(r.Path) {
			continue
		}
		switch r.Method {
		case fiber.MethodTrace, fiber.MethodConnect:
			continue
		case fiber.MethodHead:
			if !withHead {
				continue
			}
		}
		op := Operation{Method: r.Method, Path: ToOpenAPIPath(r.Path)}
		if !seen[op] {
			seen[op] = true
			out = append(out, op)
		}
	}
	sortOps(out)
	return out
}

// Diff is how an app and a document disagree.
type Diff struct {
	// Undocumented are registered routes (in scope) the document lacks.
	Undocumented []Operation
	// Unregistered are documented operations the app does not register.
	Unregistered []Operation
}

// Err returns nil when the app and the document agree, else an error
// listing every disagreement, one per line.
func (d Diff) Err() error {
	if len(d.Undocumented) == 0 && len(d.Unregistered) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("apidoc: the OpenAPI document and the registered routes differ")
	if len(d.Undocumented) > 0 {
		b.WriteString("\nregistered but not documented (add them to internal/apidoc/livesell.yaml):")
		for _, op := range d.Undocumented {
			b.WriteString("\n  " + op.String())
		}
	}
	if len(d.Unregistered) > 0 {
		b.WriteString("\ndocumented but not registered (remove them or mount the route):")
		for _, op := range d.Unregistered {
			b.WriteString("\n  " + op.String())
		}
	}
	return errors.New(b.String())
}

// Compare checks app against doc both ways: every route app registers on a
// path accepted by scope (HEAD aside) is documented, and every documented
// operation is registered (a documented HEAD matches Fiber's HEAD of a GET).
func Compare(app *fiber.App, doc *Document, scope func(path string) bool) Diff {
	var d Diff
	for _, op := range Routes(app, scope, false) {
		if !doc.Has(op) {
			d.Undocumented = append(d.Undocumented, op)
		}
	}
	registered := map[Operation]bool{}
	for _, op := range Routes(app, nil, true) {
		registered[op] = true
	}
	for _, op := range doc.Operations() {
		if !registered[op] {
			d.Unregistered = append(d.Unregistered, op)
		}
	}
	return d
}
