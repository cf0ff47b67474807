package receipt

import "fmt"

// Failure is why a receipt was refused, in English and in French. Every
// error Parse and Verify return is one.
type Failure struct {
	EN, FR string
}

// Error returns the English reason.
func (f *Failure) Error() string { return f.EN }

// Text returns the reason in lang ("en" for English, French otherwise).
func (f *Failure) Text(lang string) string {
	if lang == "en" {
		return f.EN
	}
	return f.FR
}

// failf returns a Failure; both formats take the same arguments.
func failf(en, fr string, args ...any) *Failure {
	return &Failure{EN: fmt.Sprintf(en, args...), FR: fmt.Sprintf(fr, args...)}
}
