package apierr

// The codes of the origin → edge cascade across nodes. Declare each code here
// with its row below; TestCatalogueDocumented keeps docs/errors.md and the
// OpenAPI enum equal to the whole catalogue.
const ()

var cascadeEntries = []Entry{}
