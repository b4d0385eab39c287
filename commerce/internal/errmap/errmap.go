// Package errmap turns the domain errors of commerce into catalogue
// errors through a table, the one place each API says which code a
// broken rule gets.
package errmap

import (
	"errors"

	"github.com/livesell/livesell/internal/apierr"
)

// Code maps one domain error to a catalogue code. The answer's message is
// the domain's (it names the broken rule) unless Quiet, when it is the
// code's own.
type Code struct {
	Err   error
	Code  apierr.Code
	Quiet bool
}

// Map turns err into a catalogue error: an *apierr.Error is returned as
// is, else the first row of table that err matches (errors.Is) gives its
// code, else it is the 500 path. A nil err stays nil.
func Map(err error, table []Code) error {
	if err == nil {
		return nil
	}
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return err
	}
	for _, e := range table {
		if errors.Is(err, e.Err) {
			if e.Quiet {
				return apierr.Wrap(e.Code, err)
			}
			return apierr.E(e.Code, "%s", err.Error()).WithCause(err)
		}
	}
	return apierr.Internal(err)
}
