package api

import (
	"net/http"
	"slices"

	"navette"
)

// codeStatuses maps each application error code to its HTTP statuses: the
// first is the one the server answers with, the others are the statuses
// that read back as that code. It is the one place where that mapping
// lives; Status and Code read it.
var codeStatuses = []struct {
	code     string
	statuses []int
}{
	{navette.EINVALID, []int{http.StatusUnprocessableEntity, http.StatusBadRequest, http.StatusRequestedRangeNotSatisfiable,
		http.StatusPreconditionFailed, http.StatusUnsupportedMediaType, http.StatusLengthRequired}},
	{navette.ENOTFOUND, []int{http.StatusNotFound}},
	{navette.EGONE, []int{http.StatusGone}},
	{navette.ECONFLICT, []int{http.StatusConflict, http.StatusLocked}},
	{navette.EFORBIDDEN, []int{http.StatusForbidden}},
	{navette.EUNAUTHORIZED, []int{http.StatusUnauthorized}},
	{navette.ESTEPUP, []int{http.StatusUnauthorized}},
	{navette.ETOOLARGE, []int{http.StatusRequestEntityTooLarge}},
	{navette.ETOOMANY, []int{http.StatusTooManyRequests}},
	{navette.EUNAVAILABLE, []int{http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout}},
	{navette.ENOTIMPLEMENTED, []int{http.StatusNotImplemented, http.StatusMethodNotAllowed}},
	{navette.ENOSPACE, []int{http.StatusInsufficientStorage}},
}

// Status returns the HTTP status of an application error code. It is the
// one place where that mapping lives; the server answers with it.
func Status(code string) int {
	for _, c := range codeStatuses {
		if c.code == code {
			return c.statuses[0]
		}
	}
	return http.StatusInternalServerError
}

// Code returns the application error code of an HTTP status, for answers
// that do not carry one: a proxy's error page, or a protocol error raised
// before navette's own code ran. It inverts Status and sorts the statuses
// Status never produces into the nearest code.
func Code(status int) string {
	for _, c := range codeStatuses {
		if slices.Contains(c.statuses, status) {
			return c.code
		}
	}
	if status >= 400 && status < 500 {
		return navette.EINVALID
	}
	return navette.EINTERNAL
}
