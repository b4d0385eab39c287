package bench

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/livesell/livesell/sfu"
)

// NewHandler serves minimal WHIP and WHEP endpoints over e, for load tests
// that run without the full livesell server: POST /whip/{room} and
// POST /whep/{room}?layer=x answer 201 with the SDP answer and a Location;
// DELETE on that Location ends the session. There is no authentication and
// no trickle ICE.
func NewHandler(e *sfu.Engine) http.Handler {
	h := &handler{e: e, sessions: map[string]*sfu.Session{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /whip/{room}", h.whip)
	mux.HandleFunc("POST /whep/{room}", h.whep)
	mux.HandleFunc("DELETE /session/{id}", h.remove)
	return mux
}

type handler struct {
	e        *sfu.Engine
	mu       sync.Mutex
	sessions map[string]*sfu.Session
}

func (h *handler) whip(w http.ResponseWriter, r *http.Request) {
	offer, ok := readOffer(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	s, err := h.e.Publish(ctx, sfu.PublishRequest{Room: r.PathValue("room"), OfferSDP: offer})
	h.answer(w, s, err)
}

func (h *handler) whep(w http.ResponseWriter, r *http.Request) {
	offer, ok := readOffer(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	s, err := h.e.Subscribe(ctx, sfu.SubscribeRequest{Room: r.PathValue("room"), OfferSDP: offer, Layer: r.URL.Query().Get("layer")})
	h.answer(w, s, err)
}

func (h *handler) remove(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	s := h.sessions[r.PathValue("id")]
	delete(h.sessions, r.PathValue("id"))
	h.mu.Unlock()
	if s == nil {
		http.NotFound(w, r)
		return
	}
	_ = s.Close()
	w.WriteHeader(http.StatusOK)
}

func readOffer(w http.ResponseWriter, r *http.Request) (string, bool) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return "", false
	}
	return string(b), true
}

func (h *handler) answer(w http.ResponseWriter, s *sfu.Session, err error) {
	switch {
	case err == nil:
	case errors.Is(err, sfu.ErrRoomBusy):
		http.Error(w, err.Error(), http.StatusConflict)
		return
	case errors.Is(err, sfu.ErrNotLive):
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	case errors.Is(err, sfu.ErrCapacity):
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	case errors.Is(err, sfu.ErrInvalidOffer), errors.Is(err, sfu.ErrUnsupportedMedia):
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	default:
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h.mu.Lock()
	h.sessions[s.ID()] = s
	h.mu.Unlock()
	go func() {
		<-s.Done()
		h.mu.Lock()
		delete(h.sessions, s.ID())
		h.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", "/session/"+s.ID())
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, s.AnswerSDP())
}
