package http

import (
	"cmp"
	"context"
	"net/http"

	"navette"
	"navette/account"
	"navette/api"
)

// handleListUsers lists, a page at a time, the people the caller manages
// (everyone for a platform admin, their court's people for a court admin),
// through the service of the users page.
func (s *Server) handleListUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := limitParam(q.Get("limit"), 1000)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit = cmp.Or(limit, 100)
	f := account.ManagedFilter{Text: q.Get("q"), Role: navette.Role(q.Get("role")), Status: account.UserStatus(q.Get("status")),
		Source: cmp.Or(q.Get("directory"), q.Get("source")), After: cmp.Or(q.Get("cursor"), q.Get("after")), Limit: min(limit+1, 1000)}
	us, err := s.Accounts.ManagedUsers(r.Context(), navette.UserFromContext(r.Context()), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := s.userListJSON(r.Context(), us[:min(len(us), limit)], s.userJSON)
	if f.Text == "" && len(us) >= limit && len(out.Users) > 0 && (len(us) > limit || limit == 1000) {
		out.Next = out.Users[len(out.Users)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}

// handleGetUser answers a person the caller manages, with their factors,
// tokens, mailboxes and last events; anyone else is not found.
func (s *Server) handleGetUser(w http.ResponseWriter, r *http.Request) {
	d, err := s.userDetail(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// userDetail gathers what actor may see of the person id.
func (s *Server) userDetail(ctx context.Context, actor *navette.User, id string) (*api.UserDetail, error) {
	u, err := s.Accounts.ManagedUser(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	d := &api.UserDetail{User: s.userJSON(ctx, u, courts{})}
	if d.Factors, err = s.factorsJSON(ctx, u); err != nil {
		return nil, err
	}
	if d.Sessions, err = s.sessionsJSON(ctx, actor, u); err != nil {
		return nil, err
	}
	ts, err := s.Accounts.ManagedTokens(ctx, actor, u.ID)
	if err != nil {
		return nil, err
	}
	d.Tokens = jsonList(ts, tokenJSON)
	ms, err := s.Accounts.ManagedMemberships(ctx, actor, u.ID)
	if err != nil {
		return nil, err
	}
	d.Mailboxes = s.userListJSON(ctx, ms, s.userJSON).Users
	evs, err := s.Accounts.RecentEvents(ctx, actor, u.ID, 20)
	if err != nil {
		return nil, err
	}
	d.Events = jsonList(evs, eventJSON)
	return d, nil
}

// factorsJSON describes u's second factors, without their secrets.
func (s *Server) factorsJSON(ctx context.Context, u *navette.User) (api.Factors, error) {
	f := api.Factors{TOTP: !u.TOTP.IsZero(), Passkeys: []api.PasskeyInfo{}}
	if s.Auth == nil {
		return f, nil
	}
	if s.Auth.PasskeysAvailable() {
		keys, err := s.Auth.Passkeys(ctx, u)
		if err != nil {
			return f, err
		}
		for _, k := range keys {
			f.Passkeys = append(f.Passkeys, api.PasskeyInfo{ID: k.ID, Name: k.Name, CreatedAt: k.CreatedAt.UTC(), LastUsed: timePtr(k.LastUsedAt)})
		}
	}
	n, err := s.Auth.RecoveryCodesLeft(ctx, u)
	if err != nil && !navette.IsCode(err, navette.EUNAVAILABLE) {
		return f, err
	}
	f.RecoveryCodesLeft = n
	return f, nil
}
