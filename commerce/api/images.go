package api

import (
	"errors"
	"io"
	"mime"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/images"
	"github.com/livesell/livesell/internal/apierr"
)

// ImagePath is where the node serves uploaded images.
const ImagePath = "/media/images/"

// uploadImage stores the image in the body (the raw bytes, or a
// multipart/form-data field "file") and answers its URL. What the image
// is comes from its bytes, never from the declared type.
func (h *imageHandler) uploadImage(c *fiber.Ctx) error {
	if h.d.Images == nil {
		return apierr.E(apierr.CodeNotFound, "image upload is not configured on this node")
	}
	data, err := imageBody(c)
	if err != nil {
		return err
	}
	ct, ext, err := images.Sniff(data)
	switch {
	case errors.Is(err, images.ErrTooLarge):
		return apierr.E(apierr.CodeBodyTooLarge, "an image may have at most %d bytes", images.MaxBytes)
	case err != nil:
		return apierr.E(apierr.CodeInvalidImage, "%s", err.Error())
	}
	name := images.Name(data, ext)
	if err := h.d.Images.Put(c.UserContext(), name, ct, data); err != nil {
		return apierr.Internal(err)
	}
	path := ImagePath + name
	url := path
	// An absolute URL only when it is https (product images must be https://
	// or site-relative; an embed on another origin needs the absolute one).
	if base := h.baseURL(c); strings.HasPrefix(base, "https://") {
		url = strings.TrimSuffix(base, "/") + path
	}
	c.Location(path)
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"url": url, "path": path, "content_type": ct, "size": len(data)})
}

// imageBody reads the upload: multipart field "file", or the raw body.
func imageBody(c *fiber.Ctx) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if mt != "multipart/form-data" {
		if len(c.Body()) > images.MaxBytes {
			return nil, apierr.E(apierr.CodeBodyTooLarge, "an image may have at most %d bytes", images.MaxBytes)
		}
		return c.Body(), nil
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return nil, apierr.E(apierr.CodeInvalidRequest, "send the image as the form field \"file\" (or as the raw body)")
	}
	if fh.Size > images.MaxBytes {
		return nil, apierr.E(apierr.CodeBodyTooLarge, "an image may have at most %d bytes", images.MaxBytes)
	}
	f, err := fh.Open()
	if err != nil {
		return nil, apierr.Internal(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, images.MaxBytes+1))
	if err != nil {
		return nil, apierr.Internal(err)
	}
	return data, nil
}

// serveImage answers an uploaded image (public; names are immutable).
func (h *imageHandler) serveImage(c *fiber.Ctx) error {
	name := c.Params("name")
	if h.d.Images == nil || !images.ValidName(name) {
		return apierr.E(apierr.CodeNotFound, "no such image")
	}
	rc, ct, size, err := h.d.Images.Open(c.UserContext(), name)
	if errors.Is(err, images.ErrNotFound) {
		return apierr.E(apierr.CodeNotFound, "no such image")
	}
	if err != nil {
		return apierr.Internal(err)
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set(fiber.HeaderContentLength, strconv.FormatInt(size, 10))
	return c.SendStream(rc, int(size))
}
