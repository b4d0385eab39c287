package apierr

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gofiber/fiber/v2"
)

// Write sends err as the JSON error document with its status.
func Write(c *fiber.Ctx, err error) error {
	e := From(err)
	if e.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, e.RetryAfterHeader())
	}
	return c.Status(e.Status).JSON(e.Body())
}

// FiberHandler returns a fiber.ErrorHandler that writes every error in the
// one JSON shape. Errors raised by Fiber itself (unknown route, body too
// large, …) keep their status with a stable code; unknown errors are logged
// and answered with a 500.
func FiberHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var fe *fiber.Error
		if errors.As(err, &fe) {
			return Write(c, &Error{Status: fe.Code, Code: fiberCode(fe.Code), Message: fe.Message})
		}
		e := From(err)
		if e.Status >= http.StatusInternalServerError {
			log.ErrorContext(c.UserContext(), "request failed", "method", c.Method(), "path", c.Path(), "err", err)
		}
		return Write(c, e)
	}
}

func fiberCode(status int) string {
	switch status {
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "body_too_large"
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusRequestTimeout:
		return "timeout"
	default:
		if status >= 500 {
			return "internal"
		}
		return "bad_request"
	}
}
