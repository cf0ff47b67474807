package directory

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"navette"
	"navette/internal/testpg"
	"navette/keyring"
	"navette/postgres"
)

var (
	benchFirst = []string{"Marie", "Jean", "Stéphane", "Élise", "Aurélien", "Inès", "Raphaël", "Hélène", "Maëlle", "Noémie",
		"Cécile", "Jérôme", "Benoît", "Zoé", "Loïc", "François", "Ophélie", "Chloé", "Karim", "Yasmine", "Sarah", "Lucas",
		"Nathan", "Gaëlle", "Anaïs", "Joël", "Thérèse", "Agnès", "Mélanie", "Frédéric"}
	benchLast = []string{"Martin", "Bernard", "Lefèvre", "Durand", "Dubois", "Moreau", "Laurent", "Simon", "Michel", "Garcia",
		"D'Aubigné", "Saint-Exupéry", "Da Silva", "Le Goff", "Ibáñez", "Lévêque", "Bonnet", "Girard", "Roux", "Fournier",
		"Mercier", "Faure", "Rousseau", "Blanc", "Guérin", "Müller", "N'Diaye", "Nguyễn", "Benoît-Cattin", "Châtelain"}
	benchBars = []string{"Paris", "Lyon", "Marseille", "Aix-en-Provence", "Bordeaux", "Lille", "Toulouse", "Nantes", "Strasbourg",
		"Amiens", "Hauts-de-Seine", "Seine-Saint-Denis", "Val-de-Marne", "Fort-de-France", "Saint-Denis de la Réunion",
		"Montpellier", "Rennes", "Grenoble", "Nice", "Rouen", "Versailles", "Créteil", "Besançon", "Orléans", "Nîmes"}
)

// benchFlow returns a lawyers' flow of n people, about 2 % of them not
// active, in the shapes real flows take (quoted fields, mixed case).
func benchFlow(n int) []byte {
	var b bytes.Buffer
	b.WriteString("\ufeffcnbf;nom;prenom;barreau;email;statut;date_maj\r\n")
	statuses := []string{"omis", "suspendu", "radie"}
	for i := range n {
		first, last := benchFirst[i%len(benchFirst)], benchLast[(i/len(benchFirst))%len(benchLast)]
		bar := benchBars[(i*7)%len(benchBars)]
		status := "actif"
		if i%50 == 49 {
			status = statuses[i%len(statuses)]
		}
		local := strings.NewReplacer(" ", "", "'", "", "é", "e", "è", "e", "ë", "e", "ê", "e", "É", "e", "ï", "i", "î", "i",
			"ç", "c", "á", "a", "ñ", "n", "ü", "u", "ễ", "e", "â", "a").Replace(strings.ToLower(first + "." + last))
		nom := last
		if i%97 == 0 {
			nom = `"` + last + `; et associés"`
		}
		fmt.Fprintf(&b, "%d;%s;%s;%s;%s.%d@Avocat.Example;%s;2026-%02d-%02d\r\n", 100000+i, nom, first, bar, local, 100000+i, status, 1+i%12, 1+i%28)
	}
	return b.Bytes()
}

// timed measures the time a sync spends in SaveUsers.
type timed struct {
	navette.MetaStore
	save time.Duration
}

func (t *timed) SaveUsers(ctx context.Context, create, update []*navette.User, events ...navette.Event) error {
	start := time.Now()
	defer func() { t.save += time.Since(start) }()
	return t.MetaStore.SaveUsers(ctx, create, update, events...)
}

// BenchmarkImport75k imports the 75,000-row lawyers' flow into a new store,
// then imports it again unchanged, on SQLite and on PostgreSQL (a real
// server, started once for both rounds).
func BenchmarkImport75k(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		benchImport(b, func(b *testing.B) navette.MetaStore { return openStore(b) })
	})
	b.Run("postgres", func(b *testing.B) {
		pg := testpg.Start(b)
		benchImport(b, func(b *testing.B) navette.MetaStore {
			s, err := postgres.Open(b.Context(), pg.NewDatabase(b))
			if err != nil {
				b.Fatalf("Open: %v", err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		})
	})
}

// benchImport measures the first import and the unchanged re-import of
// the flow into stores that open returns, new each round.
func benchImport(b *testing.B, open func(b *testing.B) navette.MetaStore) {
	const n = 75_000
	data := benchFlow(n)
	keys, err := keyring.Open(filepath.Join(b.TempDir(), "keys"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var parse, first, save, again, firstCPU, againCPU time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		store := &timed{MetaStore: open(b)}
		s := &Sync{Meta: store, Clock: navette.NewFakeClock(epoch), Keys: keys}
		b.StartTimer()

		start, cpu := time.Now(), cpuTime(b)
		entries, err := Parse(bytes.NewReader(data), LawyersMapping())
		if err != nil {
			b.Fatal(err)
		}
		parse += time.Since(start)
		rep, err := s.Apply(b.Context(), "lawyers", entries, Options{})
		if err != nil {
			b.Fatal(err)
		}
		first += time.Since(start)
		firstCPU += cpuTime(b) - cpu
		save += store.save
		if len(rep.Added) != n-n/50 {
			b.Fatalf("added %d, want %d", len(rep.Added), n-n/50)
		}

		start, cpu = time.Now(), cpuTime(b)
		entries, err = Parse(bytes.NewReader(data), LawyersMapping())
		if err != nil {
			b.Fatal(err)
		}
		rep, err = s.Apply(b.Context(), "lawyers", entries, Options{})
		if err != nil {
			b.Fatal(err)
		}
		again += time.Since(start)
		againCPU += cpuTime(b) - cpu
		if rep.Unchanged != n-n/50 || len(rep.Added)+len(rep.Updated)+len(rep.Revoked)+len(rep.Restored) != 0 {
			b.Fatalf("re-import changed something: %+v", rep)
		}
		b.StopTimer()
		store.MetaStore.Close()
		b.StartTimer()
	}
	b.ReportMetric(parse.Seconds()/float64(b.N), "parse-s")
	b.ReportMetric(first.Seconds()/float64(b.N), "first-import-s")
	b.ReportMetric(save.Seconds()/float64(b.N), "first-save-s")
	b.ReportMetric(again.Seconds()/float64(b.N), "reimport-s")
	b.ReportMetric(firstCPU.Seconds()/float64(b.N), "first-import-cpu-s")
	b.ReportMetric(againCPU.Seconds()/float64(b.N), "reimport-cpu-s")
}

// cpuTime returns the CPU time the process has used (user and system),
// which says more than wall time on a loaded machine; the database
// server's, for PostgreSQL, is not in it.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
