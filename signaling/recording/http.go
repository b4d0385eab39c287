package recording

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/sfu/record"
)

// Mount adds the recordings API to r:
//
//	GET    /api/rooms/{room}/recordings                 list (+ storage_bytes)
//	GET    /api/rooms/{room}/recordings/{id}            one recording
//	GET    /api/rooms/{room}/recordings/{id}/media      the media, with Range
//	GET    /api/rooms/{room}/recordings/{id}/clip       ?from_ms&to_ms, cut on segments
//	DELETE /api/rooms/{room}/recordings/{id}            admin
func (m *Manager) Mount(r fiber.Router) {
	const base = "/api/rooms/:room/recordings"
	r.Get(base, m.list)
	r.Get(base+"/:id", m.get)
	r.Get(base+"/:id/media", m.media)
	r.Get(base+"/:id/clip", m.clip)
	r.Delete(base+"/:id", m.remove)
}

// viewers are the credentials that may watch a replay; players (<video
// src>, download links) cannot set headers, so the media and clips also
// take the playback grant the list and get answers carry (?grant=), never
// the viewer's token.
const viewers = auth.Admin | auth.PushKey | auth.User | auth.PlaybackGrant | auth.AllowAnonymous

// admit applies the room's rules: private rooms auth.Admit, ticketed
// rooms a ticket (auth.Tickets), the admin and the room's anchor always.
func (m *Manager) admit(c *fiber.Ctx, accept auth.Accept) (string, error) {
	room, _, err := m.admitWho(c, accept)
	return room, err
}

// admitWho is admit, also returning who was admitted.
func (m *Manager) admitWho(c *fiber.Ctx, accept auth.Accept) (string, auth.Principal, error) {
	room := c.Params("room")
	p, err := m.opt.Auth.Request(c, accept, room)
	if err != nil {
		return "", auth.Principal{}, err
	}
	if p.Kind == auth.KindGrant {
		// Admitted, tickets included, when the grant was minted.
		return room, p, nil
	}
	room, err = m.admitRules(c, p, room)
	return room, p, err
}

// admitRules applies the room's rules to p.
func (m *Manager) admitRules(c *fiber.Ctx, p auth.Principal, room string) (string, error) {
	info, err := m.opt.Rooms.RecordInfo(c.UserContext(), room)
	if errors.Is(err, ErrUnknownRoom) {
		return "", apierr.E(apierr.CodeRoomNotFound, "no room %q", room)
	}
	if err != nil {
		return "", apierr.E(apierr.CodeStoreUnavailable, "the room could not be read")
	}
	if err := auth.Admit(p, room, info.Private); err != nil {
		return "", err
	}
	if p.Kind == auth.KindAdmin || p.Kind == auth.KindPushKey {
		return room, nil
	}
	ticketed, _, ok, err := m.opt.Tickets.Pass(c.UserContext(), room, p.UserID)
	if err != nil {
		return "", apierr.E(apierr.CodeStoreUnavailable, "tickets could not be checked")
	}
	if ticketed && !ok {
		return "", apierr.New(apierr.CodeRecordingTicketRequired)
	}
	return room, nil
}

func storeError(err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return apierr.New(apierr.CodeRecordingNotFound)
	case errors.Is(err, errBusy):
		return apierr.New(apierr.CodeRecordingBusy)
	}
	return apierr.E(apierr.CodeStoreUnavailable, "the recording store did not answer")
}

// listers are who may list recordings and read one: a grant covers the
// media and clips only.
const listers = viewers &^ auth.PlaybackGrant

func (m *Manager) list(c *fiber.Ctx) error {
	room, p, err := m.admitWho(c, listers)
	if err != nil {
		return err
	}
	recs, used, err := m.List(c.UserContext(), room)
	if err != nil {
		return storeError(err)
	}
	for i := range recs {
		m.grant(&recs[i], p)
	}
	return c.JSON(fiber.Map{"recordings": recs, "storage_bytes": used})
}

func (m *Manager) get(c *fiber.Ctx) error {
	room, p, err := m.admitWho(c, listers)
	if err != nil {
		return err
	}
	r, err := m.Get(c.UserContext(), room, c.Params("id"))
	if err != nil {
		return storeError(err)
	}
	m.grant(&r, p)
	return c.JSON(r)
}

// grant gives r a playback grant for p, who was just admitted to its room;
// an anonymous caller needs none (its room is public and unticketed).
func (m *Manager) grant(r *Recording, p auth.Principal) {
	if p.Kind == auth.KindAnonymous {
		return
	}
	tok, exp := m.opt.Auth.MintGrant(p, r.Room, "/api/rooms/"+r.Room+"/recordings/"+r.ID+"/", time.Now(), auth.PlaybackGrantTTL)
	r.Grant, r.GrantExpiresAt = tok, &exp
}

func (m *Manager) remove(c *fiber.Ctx) error {
	room, err := m.admit(c, auth.Admin)
	if err != nil {
		return err
	}
	if err := m.Delete(c.UserContext(), room, c.Params("id")); err != nil {
		return storeError(err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// part is a piece of a served body: bytes at hand, or a stored segment.
type part struct {
	data []byte
	key  string
	size int64
}

// body lays out a recording's media: a header (with the duration) and its
// segments, in order.
func (m *Manager) body(r Recording) ([]part, int64, error) {
	h, err := record.Header(r.Tracks, time.Duration(r.DurationMs)*time.Millisecond, r.StartedAt)
	if err != nil {
		return nil, 0, err
	}
	parts := []part{{data: h, size: int64(len(h))}}
	total := int64(len(h))
	for _, s := range r.Segments {
		parts = append(parts, part{key: segmentKey(r.Room, r.ID, s.Seq), size: s.Bytes})
		total += s.Bytes
	}
	return parts, total, nil
}

func (m *Manager) media(c *fiber.Ctx) error {
	room, err := m.admit(c, viewers)
	if err != nil {
		return err
	}
	r, err := m.Get(c.UserContext(), room, c.Params("id"))
	if err != nil {
		return storeError(err)
	}
	if r.HeaderBytes == 0 {
		return apierr.E(apierr.CodeRecordingNotFound, "nothing recorded yet")
	}
	parts, total, err := m.body(r)
	if err != nil {
		return apierr.Internal(err)
	}
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	c.Set(fiber.HeaderContentType, r.MIME)
	if r.State == StateComplete {
		c.Set(fiber.HeaderCacheControl, "private, max-age=3600")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	start, end := int64(0), total-1
	rng, ok, sat := parseRange(c.Get(fiber.HeaderRange), total)
	switch {
	case ok && !sat:
		c.Set(fiber.HeaderContentRange, "bytes */"+strconv.FormatInt(total, 10))
		return apierr.New(apierr.CodeRangeNotSatisfiable)
	case ok:
		start, end = rng.start, rng.end
		c.Status(fiber.StatusPartialContent)
		c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", start, end, total))
	}
	if c.Method() == fiber.MethodHead {
		c.Set(fiber.HeaderContentLength, strconv.FormatInt(end-start+1, 10))
		return nil
	}
	c.Context().SetBodyStream(&partsReader{ctx: context.Background(), st: m.opt.Store, parts: parts, off: start, left: end - start + 1}, int(end-start+1))
	return nil
}

// partsReader reads bytes [off, off+left) of a body laid out in parts,
// fetching one stored segment at a time.
type partsReader struct {
	ctx   context.Context
	st    Store
	parts []part
	off   int64 // in the whole body
	left  int64
	cur   []byte // the part holding off
	base  int64  // offset of cur in the body
}

func (p *partsReader) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	if p.cur == nil || p.off >= p.base+int64(len(p.cur)) {
		at := int64(0)
		found := false
		for _, pt := range p.parts {
			if p.off < at+pt.size {
				data := pt.data
				if data == nil {
					d, err := p.st.Get(p.ctx, pt.key)
					if err != nil {
						return 0, err
					}
					data = d
				}
				if int64(len(data)) != pt.size {
					return 0, fmt.Errorf("recording: %s holds %d bytes, the manifest says %d", pt.key, len(data), pt.size)
				}
				p.cur, p.base, found = data, at, true
				break
			}
			at += pt.size
		}
		if !found {
			return 0, io.ErrUnexpectedEOF
		}
	}
	n := copy(b[:min(int64(len(b)), p.left)], p.cur[p.off-p.base:])
	p.off += int64(n)
	p.left -= int64(n)
	return n, nil
}

// Clip cuts r on its segment boundaries around [fromMs, toMs): the header
// and the segments that overlap the range, their timecodes moved so that
// the clip starts at zero. Nothing is re-encoded. It returns the clip and
// the range it really covers.
func (m *Manager) Clip(ctx context.Context, r Recording, fromMs, toMs int64) ([]byte, int64, int64, error) {
	var segs []SegmentInfo
	for _, s := range r.Segments {
		if s.EndMs > fromMs && s.StartMs < toMs {
			segs = append(segs, s)
		}
	}
	if len(segs) == 0 {
		return nil, 0, 0, errClip
	}
	from, to := segs[0].StartMs, segs[len(segs)-1].EndMs
	out, err := record.Header(r.Tracks, time.Duration(to-from)*time.Millisecond, r.StartedAt.Add(time.Duration(from)*time.Millisecond))
	if err != nil {
		return nil, 0, 0, err
	}
	for _, s := range segs {
		data, err := m.opt.Store.Get(ctx, segmentKey(r.Room, r.ID, s.Seq))
		if err != nil {
			return nil, 0, 0, err
		}
		moved, err := record.Rebase(data, from)
		if err != nil {
			return nil, 0, 0, err
		}
		out = append(out, moved...)
	}
	return out, from, to, nil
}

var errClip = errors.New("recording: clip outside the recording")

func (m *Manager) clip(c *fiber.Ctx) error {
	room, err := m.admit(c, viewers)
	if err != nil {
		return err
	}
	r, err := m.Get(c.UserContext(), room, c.Params("id"))
	if err != nil {
		return storeError(err)
	}
	from, ferr := strconv.ParseInt(c.Query("from_ms"), 10, 64)
	to, terr := strconv.ParseInt(c.Query("to_ms"), 10, 64)
	if ferr != nil || terr != nil || from < 0 || to <= from {
		return apierr.New(apierr.CodeInvalidClip)
	}
	data, a, b, err := m.Clip(c.UserContext(), r, from, to)
	if errors.Is(err, errClip) {
		return apierr.New(apierr.CodeInvalidClip)
	}
	if err != nil {
		return storeError(err)
	}
	ext := "webm"
	if r.Tracks.DocType() == "matroska" {
		ext = "mkv"
	}
	c.Set(fiber.HeaderContentType, r.MIME)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-%s-%d-%d.%s"`, r.Room, r.ID, a, b, ext))
	c.Set("X-Clip-From-Ms", strconv.FormatInt(a, 10))
	c.Set("X-Clip-To-Ms", strconv.FormatInt(b, 10))
	return c.Send(data)
}
