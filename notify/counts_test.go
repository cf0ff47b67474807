package notify_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/i18n"
	"navette/notify"
)

// englishWords are words that must never appear in a French message, the
// list the pages' tests use too.
var englishWords = i18n.EnglishWords

// Every kind of message reads right with 0, 1, 2 and 1,000 of what it
// counts, in French and in English: the sentences expected are written
// out, no "(s)" is ever left to the reader, and no English word slips
// into French.
func TestCountsReadRight(t *testing.T) {
	people := func(n int) []notify.Person {
		out := make([]notify.Person, n)
		for i := range out {
			out[i] = notify.Person{Email: "p@avocat.example"}
		}
		return out
	}
	want := map[string]map[int][]string{
		"deposit/fr": {
			0: {"a déposé 0\u00a0fichier à votre intention"}, 1: {"a déposé 1\u00a0fichier à votre intention"},
			2: {"a déposé 2\u00a0fichiers à votre intention"}, 1000: {"a déposé 1\u202f000\u00a0fichiers à votre intention"},
		},
		"deposit/en": {
			0: {"deposited 0\u00a0files for you"}, 1: {"deposited 1\u00a0file for you"},
			2: {"deposited 2\u00a0files for you"}, 1000: {"deposited 1,000\u00a0files for you"},
		},
		"reminder/fr": {
			1:    {"Vous n’avez pas encore récupéré le fichier que Claire Martin <claire.martin@justice.example> a déposé à votre intention."},
			2:    {"Vous n’avez pas encore récupéré les 2\u00a0fichiers que Claire Martin <claire.martin@justice.example> a déposés à votre intention."},
			1000: {"les 1\u202f000\u00a0fichiers que"},
		},
		"reminder/en": {
			1:    {"You have not yet fetched the file that Claire Martin <claire.martin@justice.example> deposited for you."},
			2:    {"You have not yet fetched the 2\u00a0files that"},
			1000: {"the 1,000\u00a0files that"},
		},
		"expiry_report/fr": {
			1:    {"Dépôt expiré : 1\u00a0destinataire ne l’a pas récupéré", "Ce destinataire ne l’a jamais récupéré :", "Nombre de fichiers : 1"},
			2:    {"Dépôt expiré : 2\u00a0destinataires ne l’ont pas récupéré", "Ces destinataires ne l’ont jamais récupéré :", "Nombre de fichiers : 2"},
			1000: {"Dépôt expiré : 1\u202f000\u00a0destinataires ne l’ont pas récupéré", "Nombre de fichiers : 1\u202f000"},
		},
		"expiry_report/en": {
			1:    {"Deposit expired: 1\u00a0recipient never fetched it", "This recipient never fetched it:", "Number of files: 1"},
			2:    {"Deposit expired: 2\u00a0recipients never fetched it", "These recipients never fetched it:"},
			1000: {"Deposit expired: 1,000\u00a0recipients never fetched it", "Number of files: 1,000"},
		},
	}
	for _, lang := range []string{navette.LangFrench, navette.LangEnglish} {
		for _, kind := range navette.NoticeKinds {
			for _, n := range []int{0, 1, 2, 1000} {
				d := &notify.Data{
					Reference: "Parquet 26/12345", Files: n, ExpiresAt: time.Date(2026, 11, 9, 9, 0, 0, 0, time.UTC),
					Sender:       notify.Person{Name: "Claire Martin", Email: "claire.martin@justice.example"},
					Recipient:    notify.Person{Name: "Maître Anne Roy", Email: "anne.roy@avocat.example"},
					DownloadedAt: time.Date(2026, 7, 1, 14, 5, 0, 0, time.UTC),
					NeverFetched: people(n), Code: "482913", CodeExpiresAt: time.Date(2026, 11, 2, 9, 15, 0, 0, time.UTC),
				}
				notice := &navette.Notice{ID: navette.NewID(), Kind: kind, UserID: navette.NewID(), DepositID: navette.NewID(), CreatedAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
				if kind == navette.NoticeSignInCode || kind == navette.NoticeAccessRevoked || strings.HasPrefix(string(kind), "recovery_") {
					notice.DepositID = ""
				}
				m, err := renderer(t, false).Render(notice, &navette.User{Email: "anne.roy@avocat.example", Lang: lang}, d)
				if err != nil {
					t.Fatalf("Render(%s, %s, %d): %v", kind, lang, n, err)
				}
				what := string(kind) + "/" + lang
				// Subjects are one line of plain spaces (see oneLine).
				spaces := strings.NewReplacer("\u00a0", " ", "\u202f", " ")
				for _, s := range want[what][n] {
					if !strings.Contains(m.Text, s) && !strings.Contains(m.Subject, spaces.Replace(s)) {
						t.Errorf("%s with %d: %q missing from\n%s\n%s", what, n, s, m.Subject, m.Text)
					}
				}
				for _, body := range []string{m.Subject, m.Text, m.HTML} {
					if strings.Contains(body, "(s)") || strings.Contains(body, "(es)") {
						t.Errorf("%s with %d: a plural left to the reader in\n%s", what, n, body)
					}
					if lang == navette.LangFrench {
						if w := englishWords.FindString(stripURLs(body)); w != "" {
							t.Errorf("%s with %d: the English word %q in\n%s", what, n, w, body)
						}
					}
				}
			}
		}
	}
}

var urls = regexp.MustCompile(`https?://\S+|[\w.+-]+@[\w.-]+`)

// stripURLs removes links and addresses, whose words are not the
// message's language.
func stripURLs(s string) string { return urls.ReplaceAllString(s, "") }
