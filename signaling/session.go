package signaling

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/sfu"
)

// session finds the session resource of the request and checks that the
// caller may act on it: a WHIP session needs a valid push key of its room
// (or the admin token); a WHEP session opened with a user token needs a
// token of the same user (or the admin token); an anonymous viewer's
// session URL, 128 random bits known only to it, is its capability.
func (s *Service) session(c *fiber.Ctx, k kind) (*resource, error) {
	roomID, id := c.Params("room"), c.Params("session")
	r := s.sessions.get(k, roomID, id)
	if r == nil {
		return nil, apierr.New(apierr.CodeSessionNotFound)
	}
	switch k {
	case kindWHIP:
		if _, err := s.opt.Auth.Request(c, auth.Admin|auth.PushKey, r.room); err != nil {
			return nil, err
		}
	case kindWHEP:
		if r.who.Anonymous {
			return r, nil
		}
		p, err := requests{s}.viewer(c, r.room)
		if err != nil {
			return nil, err
		}
		if p.Kind == auth.KindAnonymous {
			return nil, apierr.E(apierr.CodeMissingToken, "this session belongs to a signed-in viewer: send the viewer token")
		}
		if p.Kind != auth.KindAdmin && p.UserID != r.who.UserID {
			return nil, apierr.New(apierr.CodeNotYourSession)
		}
	}
	return r, nil
}

// sessionInfo answers GET and HEAD on a session resource with 204.
func (s *Service) sessionInfo(k kind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		r, err := s.session(c, k)
		if err != nil {
			return err
		}
		r.mu.Lock()
		etag := r.etag
		r.mu.Unlock()
		c.Set(fiber.HeaderETag, etag)
		c.Set("Accept-Patch", ContentTypeSDPFrag)
		return c.SendStatus(fiber.StatusNoContent)
	}
}

// deleteSession answers DELETE on a session resource: the session ends.
func (s *Service) deleteSession(k kind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		r, err := s.session(c, k)
		if err != nil {
			return err
		}
		r.sess.Close()
		s.sessions.remove(r)
		return c.SendStatus(fiber.StatusOK)
	}
}

// patchSession answers PATCH with a trickle-ice-sdpfrag: trickled
// candidates (204), or an ICE restart when the fragment carries new
// credentials (200 with the server's fragment and a new ETag). If-Match is
// required: the current ETag, or "*".
func (s *Service) patchSession(k kind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		r, err := s.session(c, k)
		if err != nil {
			return err
		}
		if !r.patches.Allow() {
			return apierr.E(apierr.CodeRateLimited, "too many PATCH requests on this session")
		}
		body, err := requests{s}.readBody(c, ContentTypeSDPFrag)
		if err != nil {
			return err
		}
		match := c.Get(fiber.HeaderIfMatch)
		if match == "" {
			return apierr.New(apierr.CodeIfMatchRequired)
		}
		frag, err := ParseFragment(body)
		if err != nil {
			return apierr.E(apierr.CodeInvalidSDPFrag, "%s", detail(err)).WithCause(err)
		}

		r.mu.Lock()
		defer r.mu.Unlock()
		if !ifMatch(match, r.etag) {
			return apierr.E(apierr.CodeETagMismatch, "the ICE session changed; its ETag is no longer %s", match)
		}
		restart := frag.Ufrag != "" && frag.Ufrag != r.remoteUfrag
		// Check every candidate's media section before applying any.
		// Candidates the policy refuses, or beyond the session's cap, are
		// dropped (204 all the same): the server never probes them.
		inits := make([]webrtc.ICECandidateInit, 0, len(frag.Candidates)+1)
		dropped := 0
		for _, fc := range frag.Candidates {
			init, err := r.candidate(fc)
			if err != nil {
				return err
			}
			if ok, _ := s.opt.Candidates.Allowed(fc.Value); !ok || r.candidates+len(inits) >= s.opt.Candidates.max() {
				dropped++
				continue
			}
			inits = append(inits, init)
		}
		if dropped > 0 {
			s.log.Info("trickled remote candidates dropped", "room", r.room, "session", r.id, "dropped", dropped)
		}
		if frag.EndOfCandidates {
			inits = append(inits, webrtc.ICECandidateInit{})
		}

		var out []byte
		if restart {
			ctx, cancel := s.signalCtx()
			params, err := r.sess.RestartICE(ctx, frag.Ufrag, frag.Pwd)
			cancel()
			if err != nil {
				if errors.Is(err, sfu.ErrInvalidOffer) {
					return apierr.Wrap(apierr.CodeICERestartFailed, err)
				}
				return engineError(err)
			}
			r.remoteUfrag = frag.Ufrag
			r.etag = newETag()
			kind, mid := "audio", "0"
			if len(r.mids) > 0 {
				kind, mid = r.kinds[0], r.mids[0]
			}
			out = AppendFragment(nil, params.Ufrag, params.Pwd, kind, mid, params.Candidates)
			s.log.Info("ICE restart", "room", r.room, "session", r.id)
		}
		for _, init := range inits {
			if init.Candidate != "" {
				r.candidates++
			}
			if err := r.sess.AddRemoteCandidate(init); err != nil {
				if errors.Is(err, sfu.ErrSessionClosed) {
					return engineError(err)
				}
				return apierr.Wrap(apierr.CodeUnsupportedCandidate, err)
			}
		}
		if !restart {
			// RFC 9725 §4.3.1: a trickle-only PATCH answers 204 without an
			// ETag (the ICE session did not change).
			return c.SendStatus(fiber.StatusNoContent)
		}
		c.Set(fiber.HeaderETag, r.etag)
		c.Set(fiber.HeaderContentType, ContentTypeSDPFrag)
		return c.Status(fiber.StatusOK).Send(out)
	}
}

// candidate places a trickled candidate in the session's media sections: by
// its a=mid, or, before any m= line, in the first (bundled) section. An
// unknown mid is a 422.
func (r *resource) candidate(fc FragmentCandidate) (webrtc.ICECandidateInit, error) {
	idx := -1
	switch {
	case fc.Mid != "":
		for i, m := range r.mids {
			if m == fc.Mid {
				idx = i
			}
		}
	case fc.MLine < 0 && len(r.mids) > 0:
		idx = 0
	case fc.MLine >= 0 && fc.MLine < len(r.mids):
		idx = fc.MLine
	}
	if idx < 0 {
		return webrtc.ICECandidateInit{}, apierr.E(apierr.CodeUnknownMid, "a candidate names media section %s, which the session does not have", strconv.Quote(fc.Mid))
	}
	mid := r.mids[idx]
	line := uint16(idx)
	return webrtc.ICECandidateInit{Candidate: fc.Value, SDPMid: &mid, SDPMLineIndex: &line}, nil
}
