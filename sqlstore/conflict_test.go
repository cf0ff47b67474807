package sqlstore_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/internal/testpg"
	"navette/internal/testsqlite"
	"navette/postgres"
	"navette/sqlstore"
)

// TestWhyConflictQueries: the message of a directory import that takes a
// stored user's e-mail address, external id or id names the first user of
// the batch that does, as a query per user did, in a query per 500 users at
// most, on SQLite and PostgreSQL.
func TestWhyConflictQueries(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		s := testsqlite.Open(t, filepath.Join(t.TempDir(), "meta.db"))
		testWhyConflict(t, s.Store)
	})
	t.Run("postgres", func(t *testing.T) {
		pg := testpg.Start(t)
		s, err := postgres.Open(t.Context(), pg.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		testWhyConflict(t, s.Store)
	})
}

func testWhyConflict(t *testing.T, s *sqlstore.Store) {
	at := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	user := func(i int) *navette.User {
		return &navette.User{ID: navette.NewID(), Email: fmt.Sprintf("user%04d@example.org", i), Name: fmt.Sprint("User ", i),
			Role: navette.RolePartner, Source: "annuaire", ExternalID: fmt.Sprint("ext-", i), CreatedAt: at}
	}
	stored := []*navette.User{user(-1), user(-2), user(-3), user(-4)}
	stored[3].Source = "avocats"
	for _, u := range stored {
		if err := s.CreateUser(t.Context(), u); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
	}
	batch := func(n int, takes map[int]func(u *navette.User)) []*navette.User {
		var out []*navette.User
		for i := range n {
			out = append(out, user(i))
		}
		slices.SortFunc(out, func(a, b *navette.User) int { return strings.Compare(a.ID, b.ID) })
		for i, take := range takes {
			take(out[i])
		}
		return out
	}
	email := func(u *navette.User) { u.Email = stored[0].Email }
	ext := func(u *navette.User) { u.ExternalID = stored[1].ExternalID }
	id := func(u *navette.User) { u.ID = stored[2].ID }
	otherSource := func(u *navette.User) { u.ExternalID = stored[3].ExternalID }
	for _, c := range []struct {
		what    string
		n       int
		takes   map[int]func(u *navette.User)
		want    string
		queries int
	}{
		{"an e-mail address in the second 500", 1234, map[int]func(*navette.User){700: email, 1100: id},
			"A user with the e-mail address " + stored[0].Email + " exists already.", 2},
		{"an external id in the last 500", 1234, map[int]func(*navette.User){1200: ext},
			"A user with the external id " + stored[1].ExternalID + " of annuaire exists already.", 3},
		{"an id first", 1234, map[int]func(*navette.User){3: id, 4: email},
			"A user with the id " + stored[2].ID + " exists already.", 1},
		{"an e-mail address and an id of the same user", 10, map[int]func(*navette.User){5: func(u *navette.User) { email(u); id(u) }},
			"A user with the e-mail address " + stored[0].Email + " exists already.", 1},
		{"an external id of another source", 600, map[int]func(*navette.User){5: otherSource},
			"A user to create has the id, e-mail address or external id of another.", 2},
	} {
		got, queries := sqlstore.WhyConflict(t.Context(), s, batch(c.n, c.takes))
		if got != c.want {
			t.Errorf("%s: %q, want %q", c.what, got, c.want)
		}
		if queries != c.queries {
			t.Errorf("%s: %d queries, want %d", c.what, queries, c.queries)
		}
	}
}
