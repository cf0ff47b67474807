package web

import (
	"net/http"
	"net/http/httptest"

	"navette"
	"navette/auth"
)

func httpRequest(target string) *http.Request {
	return httptest.NewRequest(http.MethodGet, target, nil)
}

func httpRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

// httptestRequest gets target as the lawyer with a Range header.
func httptestRequest(f *fixture, target, rng string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.Header.Set("Range", rng)
	ctx := navette.NewContextWithUser(r.Context(), f.lawyer)
	ctx = auth.NewContext(ctx, &auth.Current{Session: &navette.Session{Stage: navette.StageFull}, User: f.lawyer})
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r.WithContext(ctx))
	return w
}
