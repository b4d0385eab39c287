package apierr

// The codes of recordings, replays and the after-show report. Declare each code here
// with its row below; TestCatalogueDocumented keeps docs/errors.md and the
// OpenAPI enum equal to the whole catalogue.
const ()

var replayEntries = []Entry{}
