package http

import (
	"net/http"

	"navette"
	"navette/api"
)

func (s *Server) handleGetSettings(w http.ResponseWriter, r *http.Request) {
	st, err := s.Deposits.Settings(r.Context(), navette.UserFromContext(r.Context()))
	s.writeSettings(w, r, st, err)
}

func (s *Server) handleSaveSettings(w http.ResponseWriter, r *http.Request) {
	var in api.Settings
	if !s.readJSON(w, r, &in) {
		return
	}
	l := navette.Limits{MaxFileSize: in.MaxFileSize, MaxFiles: in.MaxFiles, MaxRetentionDays: in.MaxRetentionDays, MaxRecipients: in.MaxRecipients}
	st, err := s.Deposits.SaveSettings(r.Context(), navette.UserFromContext(r.Context()), l)
	s.writeSettings(w, r, st, err)
}

// writeSettings answers with the settings st, or with err.
func (s *Server) writeSettings(w http.ResponseWriter, r *http.Request, st *navette.Settings, err error) {
	writeResult(s, w, r, st, err, func(st *navette.Settings) api.PlatformSettings { return s.settingsJSON(r, st) })
}

// settingsJSON renders the settings admins set beside the configuration's
// and the ones in force.
func (s *Server) settingsJSON(r *http.Request, st *navette.Settings) api.PlatformSettings {
	conf := s.Deposits.ConfiguredLimits()
	out := api.PlatformSettings{
		Set:        limitsJSON(st.Limits),
		Configured: limitsJSON(conf),
		Effective:  limitsJSON(st.Limits.Or(conf)),
		UpdatedAt:  timePtr(st.UpdatedAt),
	}
	if st.UpdatedBy != "" {
		if u, err := s.Accounts.User(r.Context(), navette.UserFromContext(r.Context()), st.UpdatedBy); err == nil {
			out.UpdatedBy = u.Email
		}
	}
	return out
}

func limitsJSON(l navette.Limits) api.Settings {
	return api.Settings{MaxFileSize: l.MaxFileSize, MaxFiles: l.MaxFiles, MaxRetentionDays: l.MaxRetentionDays, MaxRecipients: l.MaxRecipients}
}
