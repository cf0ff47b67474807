package api

import (
	"net/http"

	"navette"
)

// Status returns the HTTP status of an application error code. It is the
// one place where that mapping lives; the server answers with it.
func Status(code string) int {
	switch code {
	case navette.EINVALID:
		return http.StatusUnprocessableEntity
	case navette.ENOTFOUND:
		return http.StatusNotFound
	case navette.EGONE:
		return http.StatusGone
	case navette.ECONFLICT:
		return http.StatusConflict
	case navette.EFORBIDDEN:
		return http.StatusForbidden
	case navette.EUNAUTHORIZED, navette.ESTEPUP:
		return http.StatusUnauthorized
	case navette.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case navette.ETOOMANY:
		return http.StatusTooManyRequests
	case navette.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case navette.ENOTIMPLEMENTED:
		return http.StatusNotImplemented
	case navette.ENOSPACE:
		return http.StatusInsufficientStorage
	}
	return http.StatusInternalServerError
}

// Code returns the application error code of an HTTP status, for answers
// that do not carry one: a proxy's error page, or a protocol error raised
// before navette's own code ran. It inverts Status and sorts the statuses
// Status never produces into the nearest code.
func Code(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusRequestedRangeNotSatisfiable,
		http.StatusPreconditionFailed, http.StatusUnsupportedMediaType, http.StatusLengthRequired:
		return navette.EINVALID
	case http.StatusUnauthorized:
		return navette.EUNAUTHORIZED
	case http.StatusForbidden:
		return navette.EFORBIDDEN
	case http.StatusNotFound:
		return navette.ENOTFOUND
	case http.StatusConflict, http.StatusLocked:
		return navette.ECONFLICT
	case http.StatusGone:
		return navette.EGONE
	case http.StatusRequestEntityTooLarge:
		return navette.ETOOLARGE
	case http.StatusNotImplemented, http.StatusMethodNotAllowed:
		return navette.ENOTIMPLEMENTED
	case http.StatusTooManyRequests:
		return navette.ETOOMANY
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return navette.EUNAVAILABLE
	case http.StatusInsufficientStorage:
		return navette.ENOSPACE
	}
	if status >= 400 && status < 500 {
		return navette.EINVALID
	}
	return navette.EINTERNAL
}
