package postgres

import (
	"database/sql"
	"errors"
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

// A transaction whose connection was lost under it is unavailable, not
// internal: the request may be tried again.
func TestClassifyLostConnection(t *testing.T) {
	for _, err := range []error{sql.ErrTxDone, sql.ErrConnDone, errors.New("conn closed")} {
		if got, _ := classify(fmt.Errorf("commit: %w", err)); got != navette.EUNAVAILABLE {
			t.Errorf("classify(%v) = %q, want %q", err, got, navette.EUNAVAILABLE)
		}
	}
	if got, _ := classify(errors.New("syntax error")); got != "" {
		t.Errorf("classify(another error) = %q, want none", got)
	}
}
