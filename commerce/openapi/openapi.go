// Package openapi holds the OpenAPI 3 document of livesell's /api routes
// (commerce.yaml, served as JSON at /api/openapi.json) and CheckRoutes, which
// keeps a document true to a Fiber app's registered routes.
package openapi

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"
	"gopkg.in/yaml.v3"
)

//go:embed commerce.yaml
var commerceYAML []byte

// JSON returns the document as JSON.
func JSON() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(commerceYAML, &doc); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return b, nil
}

// CheckRoutes reports every route of app under /api (other than HEAD,
// OPTIONS, TRACE, CONNECT and middleware) that doc (an OpenAPI 3 JSON
// document) does not describe. Fiber's ":name" parameters are matched
// against OpenAPI's "{name}".
func CheckRoutes(app *fiber.App, doc []byte) error {
	var d struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return fmt.Errorf("openapi: document: %w", err)
	}
	if !strings.HasPrefix(d.OpenAPI, "3.") {
		return fmt.Errorf("openapi: document version %q is not 3.x", d.OpenAPI)
	}
	var missing []string
	seen := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		switch r.Method {
		case fiber.MethodHead, fiber.MethodOptions, fiber.MethodTrace, fiber.MethodConnect:
			continue
		}
		path := ToOpenAPIPath(r.Path)
		key := r.Method + " " + path
		if seen[key] {
			continue
		}
		seen[key] = true
		if _, ok := d.Paths[path][strings.ToLower(r.Method)]; !ok {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return errors.New("openapi: routes not documented: " + strings.Join(missing, ", "))
	}
	return nil
}

// ToOpenAPIPath turns /api/orders/:id into /api/orders/{id}.
func ToOpenAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			name := strings.TrimSuffix(strings.TrimPrefix(s, ":"), "?")
			parts[i] = "{" + name + "}"
		}
	}
	return strings.Join(parts, "/")
}
