package apierr

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// MaxJSONBody bounds every JSON request body of the API.
const MaxJSONBody = 64 << 10

// DecodeJSON is the one decoder of JSON request bodies: exactly one JSON
// object into v, unknown fields and trailing data refused, at most
// MaxJSONBody bytes; an empty body decodes as {} (required fields are the
// caller's rules). Its errors are invalid_json or body_too_large.
func DecodeJSON(body []byte, v any) error {
	if len(body) > MaxJSONBody {
		return E(CodeBodyTooLarge, "the body is larger than %d bytes", MaxJSONBody)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := err.Error()
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return E(CodeInvalidJSON, "the body is not the JSON object this endpoint expects: %s", msg).WithCause(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return E(CodeInvalidJSON, "the body has data after the JSON object")
	}
	return nil
}

// JSONBody checks that c's body is declared as JSON (or not declared) and
// decodes it with DecodeJSON.
func JSONBody(c *fiber.Ctx, v any) error {
	if ct := c.Get(fiber.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !strings.EqualFold(mt, fiber.MIMEApplicationJSON) {
			return E(CodeUnsupportedMediaType, "send %s", fiber.MIMEApplicationJSON)
		}
	}
	return DecodeJSON(c.Body(), v)
}
