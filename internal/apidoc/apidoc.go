// Package apidoc is the one OpenAPI 3 document of livesell's whole HTTP API
// (livesell.yaml, embedded): rooms and push keys, WHIP and WHEP, room
// interaction, commerce and the operational endpoints. Mount serves it as
// JSON at /api/openapi.json.
//
// The document is kept true by tests: Parse and Validate check that it is
// well-formed OpenAPI (every $ref resolves, every operation has responses,
// path parameters match their templates, security names a scheme), and
// Compare lists the routes a Fiber app registers without documentation and
// the documented operations the app does not register.
package apidoc

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/gofiber/fiber/v2"
	"gopkg.in/yaml.v3"
)

// Path is where Mount serves the document.
const Path = "/api/openapi.json"

//go:embed livesell.yaml
var source []byte

// YAML returns a copy of the document's YAML source.
func YAML() []byte { return append([]byte(nil), source...) }

var jsonDoc = sync.OnceValues(func() ([]byte, error) { return toJSON(source) })

// JSON returns the document as JSON. The caller must not modify the slice.
func JSON() ([]byte, error) { return jsonDoc() }

// Mount registers GET (and HEAD) /api/openapi.json on r.
func Mount(r fiber.Router) { r.Get(Path, Handler()) }

// Handler serves the document as JSON.
func Handler() fiber.Handler {
	return func(c *fiber.Ctx) error {
		doc, err := JSON()
		if err != nil {
			return err // the ErrorHandler answers 500; a test keeps this from happening
		}
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
		return c.Send(doc)
	}
}

// toJSON converts a YAML (or JSON) document to JSON.
func toJSON(src []byte) ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("apidoc: %w", err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("apidoc: %w", err)
	}
	return b, nil
}
