package apierr

import "net/http"

// The codes of reminders and the notifiers that deliver them. Declare each code here
// with its row below; TestCatalogueDocumented keeps docs/errors.md and the
// OpenAPI enum equal to the whole catalogue.
const (
	CodeShowCancelled  Code = "show_cancelled"
	CodeInvalidContact Code = "invalid_contact"
)

var notifyEntries = []Entry{
	{CodeShowCancelled, http.StatusConflict, "the show in this room was cancelled", 0},
	{CodeInvalidContact, http.StatusBadRequest, "the contact is not valid: email must be an e-mail address, wechat_openid a plain token", 0},
}
