package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"navette"
)

// settingField is one limit of the platform settings form.
type settingField struct {
	ID    string // the input's name and id
	Label string // French; translated by the template
	Hint  string // French format of the configuration's value, with %s
	Unit  string // French unit shown after the input
	Max   int64  // in the field's unit
	// Value is what the form holds: the admins' setting, as sent when
	// the form comes back with a problem, "" for the configuration's.
	Value string
	// Configured is the configuration's value, in the field's unit.
	Configured int64
	// Bytes is the configuration's value in bytes for a size, shown as
	// i18n.Size shows sizes; 0 for a count.
	Bytes   int64
	Problem string
}

// settingsData is what the platform settings page shows.
type settingsData struct {
	Fields    []*settingField
	Settings  *navette.Settings
	UpdatedBy string
	Policy    *policySection
}

// text marks s as a French text of the interface that is translated where
// it is shown, so that TestGoTranslations finds it.
func text(s string) string { return s }

// megabyte is the unit of the file size field: the decimal "Mo" of
// i18n.Size, which shows every size (1 Go = 1 000 Mo).
const megabyte = 1_000_000

// settingFields returns the form's fields for the settings st (set by
// admins) over the configuration's limits conf.
func settingFields(st, conf navette.Limits) []*settingField {
	val := func(v int64) string {
		if v <= 0 {
			return ""
		}
		return strconv.FormatInt(v, 10)
	}
	return []*settingField{
		{ID: "max_file_size", Label: text("Taille maximale d’un fichier"), Unit: text("Mo"), Hint: text("Vide : %s, la valeur de la configuration. En mégaoctets : 1 Go = 1 000 Mo."),
			Max: navette.MaxLimits.MaxFileSize / megabyte, Value: val(st.MaxFileSize / megabyte), Configured: conf.MaxFileSize / megabyte, Bytes: conf.MaxFileSize},
		{ID: "max_files", Label: text("Fichiers par dépôt"), Hint: text("Vide : %s, la valeur de la configuration."),
			Max: int64(navette.MaxLimits.MaxFiles), Value: val(int64(st.MaxFiles)), Configured: int64(conf.MaxFiles)},
		{ID: "max_recipients", Label: text("Destinataires par dépôt"), Hint: text("Vide : %s, la valeur de la configuration."),
			Max: int64(navette.MaxLimits.MaxRecipients), Value: val(int64(st.MaxRecipients)), Configured: int64(conf.MaxRecipients)},
		{ID: "max_retention_days", Label: text("Conservation maximale"), Unit: text("jours"), Hint: text("Vide : %s jours, la valeur de la configuration. Les dépôts déjà faits gardent leur durée."),
			Max: int64(navette.MaxLimits.MaxRetentionDays), Value: val(int64(st.MaxRetentionDays)), Configured: int64(conf.MaxRetentionDays)},
	}
}

// settingsAdmin returns the platform admin who may change the settings,
// or answers with the error page.
func (h *Handler) settingsAdmin(w http.ResponseWriter, r *http.Request) (*navette.User, bool) {
	if h.Deposits == nil {
		h.Error(w, r, navette.Errorf(navette.ENOTFOUND, "No settings here."))
		return nil, false
	}
	return navette.UserFromContext(r.Context()), true
}

func (h *Handler) adminSettings(w http.ResponseWriter, r *http.Request) {
	u, ok := h.settingsAdmin(w, r)
	if !ok {
		return
	}
	st, err := h.Deposits.Settings(r.Context(), u)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.renderSettings(w, r, http.StatusOK, st, settingFields(st.Limits, h.Deposits.ConfiguredLimits()))
}

func (h *Handler) saveSettings(w http.ResponseWriter, r *http.Request) {
	u, ok := h.settingsAdmin(w, r)
	if !ok {
		return
	}
	lang := h.lang(w, r)
	cur, err := h.Deposits.Settings(r.Context(), u)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	fields := settingFields(navette.Limits{}, h.Deposits.ConfiguredLimits())
	var l navette.Limits
	bad := false
	for _, f := range fields {
		f.Value = strings.TrimSpace(r.PostFormValue(f.ID))
		if f.Value == "" {
			continue
		}
		n, err := strconv.ParseInt(strings.ReplaceAll(f.Value, " ", ""), 10, 64)
		if err != nil || n < 1 || n > f.Max {
			f.Problem, bad = fmt.Sprintf(tr(lang, "Indiquez un nombre entier de 1 à %d, ou laissez vide."), f.Max), true
			continue
		}
		switch f.ID {
		case "max_file_size":
			l.MaxFileSize = n * megabyte
			if old := cur.Limits.MaxFileSize; old/megabyte == n {
				// Unchanged on the form, which shows whole Mo: a size set
				// to the byte through the API or the CLI stays as it is.
				l.MaxFileSize = old
			}
		case "max_files":
			l.MaxFiles = int(n)
		case "max_recipients":
			l.MaxRecipients = int(n)
		case "max_retention_days":
			l.MaxRetentionDays = int(n)
		}
	}
	if bad {
		h.renderSettings(w, r, http.StatusUnprocessableEntity, cur, fields)
		return
	}
	if _, err := h.Deposits.SaveSettings(r.Context(), u, l); err != nil {
		h.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/settings?done=saved", http.StatusSeeOther)
}

// renderSettings renders the settings page with its form fields.
func (h *Handler) renderSettings(w http.ResponseWriter, r *http.Request, status int, st *navette.Settings, fields []*settingField) {
	d := &settingsData{Fields: fields, Settings: st}
	if st.UpdatedBy != "" && h.Accounts != nil {
		if by, err := h.Accounts.User(r.Context(), navette.UserFromContext(r.Context()), st.UpdatedBy); err == nil {
			d.UpdatedBy = by.Name
		}
	}
	d.Policy = h.policySectionOf(r, navette.UserFromContext(r.Context()))
	p := h.newPage(w, r, "Réglages de la plateforme", "admin")
	if d.Policy != nil {
		d.Policy.CSRF = p.CSRF
	}
	if r.URL.Query().Get("done") == "saved" && status == http.StatusOK {
		p.Flash = tr(p.Lang, "Les réglages sont enregistrés ; ils s’appliquent aux nouveaux dépôts.")
	} else if status == http.StatusOK {
		p.Flash = policyFlashes.say(p.Lang, r.URL.Query().Get("done"))
	}
	p.Data = d
	h.render(w, r, status, "admin-settings", p)
}
