package web

import (
	"cmp"
	"maps"
	"net/http"
	"slices"
	"strings"
)

func init() {
	pageNames = append(pageNames, "resume")
	maps.Copy(english, resumeEnglish)
}

// resumeEnglish translates the page that resumes an action after a
// step-up.
var resumeEnglish = map[string]string{
	"Reprendre l’action": "Resume the action",
	"Votre identité est confirmée. Pour faire l’action que vous aviez demandée, avec les valeurs que vous aviez saisies, appuyez sur « Continuer ».": "Your identity is confirmed. To carry out the action you asked for, with the values you entered, press “Continue”.",
	"Continuer": "Continue",
	"Annuler":   "Cancel",
}

// resumeField is a prefix of the hidden fields that carry, through the
// step-up form, the fields of the form that asked for it.
const resumeField = "rf."

// resumeForm is a form sent by a session too old for its action: where it
// went and its fields (the CSRF token left out: the resumed form gets the
// session's own).
type resumeForm struct {
	Action string
	Fields []formField
}

// formField is one field of a form, in order.
type formField struct{ Name, Value string }

// formOf returns the form r sent to a step-up page, or nil for a GET or a
// form sent elsewhere than to a path of this site.
func formOf(r *http.Request) *resumeForm {
	action := resumeNext(r.URL.RequestURI())
	if r.Method != http.MethodPost || action == "" || r.ParseForm() != nil {
		return nil
	}
	f := &resumeForm{Action: action}
	for _, name := range sortedKeys(r.PostForm) {
		if name == "csrf" {
			continue
		}
		for _, v := range r.PostForm[name] {
			f.Fields = append(f.Fields, formField{Name: name, Value: v})
		}
	}
	return f
}

// resumedForm reads back the form a step-up form carried (resumeForm's
// fields as resumeField+name, its action as "resume"), or nil if none.
func resumedForm(r *http.Request) *resumeForm {
	action := resumeNext(r.PostFormValue("resume"))
	if action == "" {
		return nil
	}
	f := &resumeForm{Action: action}
	for _, name := range sortedKeys(r.PostForm) {
		if field, ok := strings.CutPrefix(name, resumeField); ok && field != "csrf" {
			for _, v := range r.PostForm[name] {
				f.Fields = append(f.Fields, formField{Name: field, Value: v})
			}
		}
	}
	return f
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// resume shows the form that asked for the step-up, filled as it was sent,
// to be sent again with one press: nothing is sent without the person.
func (h *Handler) resume(w http.ResponseWriter, r *http.Request, f *resumeForm) {
	p := h.newPage(w, r, "Reprendre l’action", "account")
	p.Data = f
	h.render(w, r, http.StatusOK, "resume", p)
}

// stepUpResume shows, after a passkey step-up, the form that asked for it
// (passkey.js sends it here from the step-up page), filled as it was
// sent, as stepUpTOTP does: nothing is sent again without the person. A
// session that is not fresh goes back to "Mon compte".
func (h *Handler) stepUpResume(w http.ResponseWriter, r *http.Request) {
	f := resumedForm(r)
	if f == nil || h.Auth.RequireFresh(session(r).Session) != nil {
		http.Redirect(w, r, cmp.Or(resumeNext(r.PostFormValue("next")), "/account"), http.StatusSeeOther)
		return
	}
	h.resume(w, r, f)
}
