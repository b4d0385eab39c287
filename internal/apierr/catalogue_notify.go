package apierr

// The codes of reminders and the notifiers that deliver them. Declare each code here
// with its row below; TestCatalogueDocumented keeps docs/errors.md and the
// OpenAPI enum equal to the whole catalogue.
const ()

var notifyEntries = []Entry{}
