package notify_test

import (
	"strings"
	"testing"
	"time"

	"navette"
	"navette/notify"
)

// TestRequestActionInWords: the notices about an admin request (approval
// asked, approved action failed, approved, refused, what it changed) name
// its action in the reader's words, never by its code ("member.add"),
// which an admin reading French met.
func TestRequestActionInWords(t *testing.T) {
	r := renderer(t, false)
	for _, kind := range []navette.NoticeKind{navette.NoticeApproval, navette.NoticeRequestFailed, navette.NoticeRequestApproved, navette.NoticeRequestRejected, navette.NoticeRequestExpired,
		navette.NoticeMemberAdded, navette.NoticeRoleGranted, navette.NoticeAccessRestored} {
		for _, a := range []navette.RequestAction{navette.ActionAddMember, navette.ActionGrantRole, navette.ActionRestoreUser,
			navette.ActionForceDirectory, navette.ActionPolicyAssurance, navette.ActionPolicyAntivirus, navette.ActionKeysRotate} {
			for _, lang := range []string{navette.LangFrench, navette.LangEnglish} {
				n := &navette.Notice{ID: navette.NewID(), Kind: kind, UserID: navette.NewID(), CreatedAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
				d := &notify.Data{Sender: notify.Person{Name: "Paul Bernard", Email: "paul.bernard@justice.example"},
					Request: &notify.Request{ID: "REQ-1", Action: string(a)}}
				m, err := r.Render(n, &navette.User{Email: "admin@justice.example", Name: "Admin", Lang: lang}, d)
				if err != nil {
					t.Fatal(err)
				}
				for _, body := range []string{m.Text, m.HTML} {
					if strings.Contains(body, string(a)) {
						t.Errorf("%s %s in %s: the action is named by its code:\n%s", kind, a, lang, body)
					}
				}
			}
		}
	}
}
