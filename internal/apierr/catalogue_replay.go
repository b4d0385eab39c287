package apierr

import "net/http"

// The codes of recordings, replays and the after-show report. Declare each code here
// with its row below; TestCatalogueDocumented keeps docs/errors.md and the
// OpenAPI enum equal to the whole catalogue. Two sections, so the recording
// and the review (report, chapters, chat replay) areas never edit the same
// lines: recordingEntries and reviewEntries.
var replayEntries = concat(recordingEntries, reviewEntries)

// Recordings (the recording area).
var recordingEntries = []Entry{}

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
