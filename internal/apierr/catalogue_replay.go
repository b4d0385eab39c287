package apierr

import "net/http"

// The codes of recordings, replays and the after-show report. Declare each code here
// with its row below; TestCatalogueDocumented keeps docs/errors.md and the
// OpenAPI enum equal to the whole catalogue. Two sections, so the recording
// and the review (report, chapters, chat replay) areas never edit the same
// lines: recordingEntries and reviewEntries.
var replayEntries = concat(recordingEntries, reviewEntries)

// Recordings (the recording area).
const (
	CodeRecordingNotFound       Code = "recording_not_found"
	CodeRecordingBusy           Code = "recording_in_progress"
	CodeRangeNotSatisfiable     Code = "range_not_satisfiable"
	CodeInvalidClip             Code = "invalid_clip"
	CodeRecordingTicketRequired Code = "recording_ticket_required"
	CodeInvalidGrant            Code = "invalid_grant"
)

var recordingEntries = []Entry{
	{CodeRecordingNotFound, http.StatusNotFound, "no such recording in this room", 0},
	{CodeRecordingBusy, http.StatusConflict, "the recording is still in progress", 0},
	{CodeRangeNotSatisfiable, http.StatusRequestedRangeNotSatisfiable, "the requested byte range is outside the recording", 0},
	{CodeInvalidClip, http.StatusBadRequest, "a clip needs from_ms and to_ms, 0 <= from_ms < to_ms, inside the recording", 0},
	{CodeRecordingTicketRequired, http.StatusForbidden, "this room is ticketed: its replays need a ticket", 0},
	{CodeInvalidGrant, http.StatusUnauthorized, "the playback grant (?grant=) is malformed, expired or for another resource: ask again for a fresh one (the recording, or the WHEP request that was redirected)", 0},
}

// The after-show review (commerce/review).
const (
	CodeShowNotFound       Code = "show_not_found"
	CodeInvalidReplayEvent Code = "invalid_replay_event"
	CodeInvalidShowID      Code = "invalid_show_id"
)

var reviewEntries = []Entry{
	{CodeInvalidShowID, http.StatusBadRequest, "a show id is 16 hexadecimal characters", 0},
	{CodeShowNotFound, http.StatusNotFound, "no such show in this room", 0},
	{CodeInvalidReplayEvent, http.StatusBadRequest, "a replay event is {kind: view|chapter|click|cart, viewer: 1-64 of A-Z a-z 0-9 _ -, product_id (not for view)}", 0},
}
