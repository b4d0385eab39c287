package apierr

// The codes of live marketing: coupons, draws, red packets, gifts. Declare each code here
// with its row below; TestCatalogueDocumented keeps docs/errors.md and the
// OpenAPI enum equal to the whole catalogue.
const ()

var marketingEntries = []Entry{}
