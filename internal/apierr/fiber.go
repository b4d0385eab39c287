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
			if code := fiberCode(fe.Code); code != CodeInternal {
				return Write(c, E(code, "%s", fe.Message))
			}
			return Write(c, New(CodeInternal))
		}
		e := From(err)
		if e.Status >= http.StatusInternalServerError {
			log.ErrorContext(c.UserContext(), "request failed", "method", c.Method(), "path", c.Path(), "err", err)
		}
		return Write(c, e)
	}
}

func fiberCode(status int) Code {
	switch status {
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusMethodNotAllowed:
		return CodeMethodNotAllowed
	case http.StatusRequestEntityTooLarge:
		return CodeBodyTooLarge
	case http.StatusUnsupportedMediaType:
		return CodeUnsupportedMediaType
	case http.StatusTooManyRequests:
		return CodeRateLimited
	case http.StatusRequestTimeout:
		return CodeRequestTimeout
	default:
		if status >= 500 {
			return CodeInternal
		}
		return CodeInvalidRequest
	}
}
