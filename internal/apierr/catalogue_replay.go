package apierr

import "net/http"

// The codes of recordings, replays and the after-show report. Declare each code here
// with its row below; TestCatalogueDocumented keeps docs/errors.md and the
// OpenAPI enum equal to the whole catalogue.
const (
	CodeRecordingNotFound       Code = "recording_not_found"
	CodeRecordingBusy           Code = "recording_in_progress"
	CodeRangeNotSatisfiable     Code = "range_not_satisfiable"
	CodeInvalidClip             Code = "invalid_clip"
	CodeRecordingTicketRequired Code = "recording_ticket_required"
)

var replayEntries = []Entry{
	{CodeRecordingNotFound, http.StatusNotFound, "no such recording in this room", 0},
	{CodeRecordingBusy, http.StatusConflict, "the recording is still in progress", 0},
	{CodeRangeNotSatisfiable, http.StatusRequestedRangeNotSatisfiable, "the requested byte range is outside the recording", 0},
	{CodeInvalidClip, http.StatusBadRequest, "a clip needs from_ms and to_ms, 0 <= from_ms < to_ms, inside the recording", 0},
	{CodeRecordingTicketRequired, http.StatusForbidden, "this room is ticketed: its replays need a ticket", 0},
}
