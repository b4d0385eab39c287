package apierr

// The codes of paid presale: ticket offers, tiers, entitlements. Declare each code here
// with its row below; TestCatalogueDocumented keeps docs/errors.md and the
// OpenAPI enum equal to the whole catalogue.
const ()

var presaleEntries = []Entry{}
