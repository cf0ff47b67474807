package http

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"navette"
	"navette/api"
	"navette/auth"
)

// courts caches the courts a response names.
type courts map[string]*api.Court

// userJSON describes u, with its court looked up once per response.
func (s *Server) userJSON(ctx context.Context, u *navette.User, cs courts) api.User {
	out := api.User{
		ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), Kind: u.Kind, Org: u.Org,
		Source: u.Source, ExternalID: u.ExternalID, Disabled: u.Disabled, Status: u.DirectoryStatus,
		RevokedAt: timePtr(u.RevokedAt), TOTP: !u.TOTP.IsZero(), CreatedAt: u.CreatedAt.UTC(),
	}
	if u.CourtID != "" {
		c, ok := cs[u.CourtID]
		if !ok {
			if rec, err := s.Accounts.CourtOf(ctx, u); err == nil && rec != nil {
				c = &api.Court{ID: rec.ID, Code: rec.Code, Name: rec.Name}
			}
			cs[u.CourtID] = c
		}
		out.Court = c
	}
	return out
}

// userListJSON describes us, each by describe (userJSON or recipientJSON).
func (s *Server) userListJSON(ctx context.Context, us []*navette.User, describe func(context.Context, *navette.User, courts) api.User) api.UserList {
	cs := courts{}
	return api.UserList{Users: jsonList(us, func(u *navette.User) api.User { return describe(ctx, u, cs) })}
}

// recipientJSON describes a search result: what a sender needs to choose,
// nothing else about the person's account but whether its access is
// revoked (always in the document: false for every recipient a search
// finds, true for a member list's revoked member).
func (s *Server) recipientJSON(ctx context.Context, u *navette.User, cs courts) api.User {
	full := s.userJSON(ctx, u, cs)
	return api.User{ID: full.ID, Email: full.Email, Name: full.Name, Role: full.Role, Kind: full.Kind, Org: full.Org, Court: full.Court,
		Disabled: full.Disabled, CreatedAt: full.CreatedAt}
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := navette.UserFromContext(ctx)
	cs := courts{}
	out := api.Me{User: s.userJSON(ctx, u, cs)}
	svcs, err := s.Accounts.Mailboxes(ctx, u)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for _, svc := range svcs {
		out.Services = append(out.Services, s.recipientJSON(ctx, svc, cs))
	}
	if cur := auth.FromContext(ctx); cur != nil {
		out.Session = &api.Session{Stage: string(cur.Session.Stage), ExpiresAt: cur.Session.ExpiresAt.UTC(), CSRF: cur.CSRF}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleRecipients(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	limit, err := limitParam(q.Get("limit"), 50)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	us, err := s.Accounts.Recipients(ctx, navette.UserFromContext(ctx), q.Get("q"), limit)
	writeResult(s, w, r, us, err, func(us []*navette.User) api.RecipientList {
		return api.RecipientList{Recipients: s.userListJSON(ctx, us, s.recipientJSON).Users}
	})
}

// limitParam parses a limit query parameter from 1 to max; "" gives 0.
func limitParam(v string, max int) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, navette.Errorf(navette.EINVALID, "limit must be a number from 1 to %d.", max)
	}
	return n, nil
}

func tokenJSON(t *navette.Token) api.Token {
	out := api.Token{ID: t.ID, Label: t.Label, CreatedAt: t.CreatedAt.UTC(), ExpiresAt: t.ExpiresAt.UTC(), RevokedAt: timePtr(t.RevokedAt), LastUsed: timePtr(t.LastUsed)}
	for _, sc := range t.Scopes {
		out.Scopes = append(out.Scopes, string(sc))
	}
	return out
}

func (s *Server) handleListTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.Accounts.Tokens(r.Context(), navette.UserFromContext(r.Context()))
	s.writeTokens(w, r, ts, err)
}

// writeTokens answers with the list ts, or with err.
func (s *Server) writeTokens(w http.ResponseWriter, r *http.Request, ts []*navette.Token, err error) {
	writeResult(s, w, r, ts, err, func(ts []*navette.Token) api.TokenList {
		return api.TokenList{Tokens: jsonList(ts, tokenJSON)}
	})
}

func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	var in api.CreateToken
	if !s.readJSON(w, r, &in) {
		return
	}
	if cur := auth.FromContext(r.Context()); cur != nil && s.Auth != nil {
		if err := s.Auth.RequireFresh(cur.Session); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	var scopes []navette.Scope
	for _, sc := range in.Scopes {
		scopes = append(scopes, navette.Scope(sc))
	}
	if in.Scopes != nil && len(in.Scopes) == 0 {
		scopes = []navette.Scope{}
	}
	if in.TTLDays < 0 {
		s.writeError(w, r, navette.Errorf(navette.EINVALID, "ttl_days must be positive."))
		return
	}
	secret, t, err := s.Accounts.CreateTokenFor(r.Context(), navette.UserFromContext(r.Context()), in.Label, time.Duration(in.TTLDays)*24*time.Hour, scopes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := tokenJSON(t)
	out.Secret = secret
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	if err := s.Accounts.RevokeToken(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleUserTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.Accounts.UserTokens(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"))
	s.writeTokens(w, r, ts, err)
}

func (s *Server) handleRevokeAnyToken(w http.ResponseWriter, r *http.Request) {
	if err := s.Accounts.RevokeAnyToken(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
