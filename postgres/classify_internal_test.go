package postgres

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"navette"
)

// TestClassify: the driver errors that are not internal get their code,
// also wrapped.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		sqlState string
		want     string
	}{
		{"22021", navette.EINVALID},
		{"57P01", navette.EUNAVAILABLE},
		{"08006", navette.EUNAVAILABLE},
		{"53300", navette.EUNAVAILABLE},
		{"40P01", navette.EUNAVAILABLE},
		{"40001", navette.EUNAVAILABLE},
		{"53100", navette.ENOSPACE},
		{"23505", ""},
	} {
		err := fmt.Errorf("update deposit: %w", &pgconn.PgError{Code: tc.sqlState})
		if got, msg := classify(err); got != tc.want || (got != "" && msg == "") {
			t.Errorf("classify(SQLSTATE %s) = %q, %q; want %q", tc.sqlState, got, msg, tc.want)
		}
	}
}
