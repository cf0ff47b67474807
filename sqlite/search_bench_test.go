package sqlite_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/sqlite"
)

// Names of the benchmark's directory, common in France, with their accents.
var (
	benchFirst = strings.Fields(`Jean Marie Pierre Michel André Philippe Nathalie Isabelle Sylvie Catherine
		Françoise Christine Monique Jacques Bernard Éric Alain Nicolas Christophe Daniel Patrick Sophie
		Sandrine Valérie Céline Stéphane Frédéric Laurent Olivier Thierry Julien Sébastien Vincent David
		Aurélie Émilie Camille Chloé Léa Manon Inès Jade Louise Zoé Lucas Hugo Louis Gabriel Arthur Raphaël
		Léo Théo Maël Noé Mathilde Hélène Agnès Béatrice Geneviève Gaëlle Maëlle Anaïs Noémie Clémence
		Jérôme Grégoire Benoît Hervé Gérard Rémi Joël Loïc Cédric Aurélien Damien Guillaume Antoine
		Thomas Alexandre Maxime Romain Quentin Florian Mathieu Baptiste Clément Adrien Jérémy Kévin
		Élise Margaux Pauline Justine Marion Laura Sarah Charlotte Juliette Lucie Amélie Cécile Delphine
		Virginie Karine Corinne Martine Nicole Brigitte Jacqueline Danielle Josiane Solène Océane Yannick
		Marie-Claire Jean-Pierre Jean-Luc Marie-Hélène Anne-Sophie Jean-François Pierre-Yves Marie-Christine
		Hélöise François Sébastien Björn Ségolène Aïcha Mohamed Karim Nadia Fatima Yasmine Samir Rachid`)
	benchLast = strings.Fields(`Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent
		Simon Michel Lefèvre Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine
		Rousseau Vincent Müller Lefebvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier François
		Legrand Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu Gautier Masson
		Marchand Duval Denis Dumont Marie Lemaire Noël Meyer Dufour Meunier Brun Blanchard Giraud Joly
		Rivière Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard Roche Renard Schmitt Roy Leroux Colin
		Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix Olivier Philippe Bourgeois
		Pierre Benoît Rey Leclerc Payet Rolland Leclercq Guillaume Lecomte Lopez Jean Dupuy Guillot
		Hubert Berger Carpentier Sánchez Dupuis Moulin Louis Deschamps Huet Vasseur Perez Boucher Fleury
		Royer Klein Jacquet Adam Paris Poirier Marty Aubry Guyot Carré Charles Renault Charpentier Ménard
		Maillard Baron Bertin Bailly Hervé Schneider Fernandez Le-Gall Collet Léger Bouvier Julien Prévost
		Millet Perrot Daniel Le-Roux Cousin Germain Breton Besson Langlois Rémy Le-Goff Pelletier Lévêque
		Perrier Leblanc Barré Lebrun Marchal Weber Mallet Hamon Boulanger Jacob Monnier Michaud Rodriguez
		Guichard Gillet Étienne Grondin Poulain Tessier Chevallier Collin Chauvin Da-Silva Bouchet Gay
		Lemaître Bénard Maréchal Humbert Reynaud Antoine Hoarau Perret Barthélemy Cordier Pichon Lejeune
		Gilbert Lamy Delaunay Pasquier Carlier Laporte Béranger Hébert Lévy Œillet Cœur Lægreid Ndiaye
		Diallo Traoré Nguyen Tran Benali Haddad Kaddour Bensaïd Saïdi Chérif Lefèvre-Dupont Martin-Lévêque`)
	benchCities = strings.Fields(`Paris Lyon Marseille Toulouse Nice Nantes Strasbourg Montpellier Bordeaux
		Lille Rennes Reims Toulon Saint-Étienne Le-Havre Grenoble Dijon Angers Nîmes Villeurbanne Clermont-Ferrand
		Le-Mans Aix-en-Provence Brest Tours Amiens Limoges Annecy Perpignan Boulogne-sur-Mer Metz Besançon
		Orléans Rouen Mulhouse Caen Nancy Argenteuil Montreuil Roubaix Tourcoing Avignon Créteil Poitiers
		Versailles Pau Calais La-Rochelle Colmar Bourges Évry Nanterre Bobigny Pontoise Chartres Quimper
		Valence Troyes Lorient Niort Vannes Béziers Ajaccio Bastia Cayenne Fort-de-France Pointe-à-Pitre
		Saint-Denis Mamoudzou Nouméa Papeete Chambéry Gap Digne Laval Cahors Agen Auch Tarbes Foix Rodez
		Albi Mende Privas Guéret Tulle Périgueux Mont-de-Marsan Dax Bayonne Carcassonne Narbonne Sète`)
)

// benchUser makes a user named from the lists, with a unique e-mail address.
func benchUser(r *rand.Rand, i int, role navette.Role) *navette.User {
	first := benchFirst[r.IntN(len(benchFirst))]
	last := benchLast[r.IntN(len(benchLast))]
	if r.IntN(12) == 0 {
		last += " " + benchLast[r.IntN(len(benchLast))]
	}
	local := strings.Join(navette.SearchWords(first), "-") + "." + strings.Join(navette.SearchWords(last), "-")
	return &navette.User{
		ID:        navette.NewID(),
		Email:     fmt.Sprintf("%s.%d@%s", local, i, map[bool]string{true: "justice.gouv.fr", false: "avocat.fr"}[role != navette.RolePartner]),
		Name:      first + " " + last,
		Role:      role,
		Disabled:  r.IntN(40) == 0,
		CreatedAt: epoch,
	}
}

// seedDirectory fills s with a national directory: 75,000 partners
// (lawyers of 164 bars, bailiffs, experts) created by one SaveUsers call,
// whose duration it returns, and 90,000 agents, court admins and service
// mailboxes of 170 courts, saved in batches of 10,000.
func seedDirectory(b *testing.B, s *sqlite.Store) (courts []*navette.Court, saveAll time.Duration) {
	ctx := b.Context()
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 170 {
		city := benchCities[i%len(benchCities)]
		kind := "TJ"
		if i >= len(benchCities) {
			kind = "CA"
		}
		c := &navette.Court{ID: navette.NewID(), Code: kind + "-" + strings.ToUpper(strings.Join(navette.SearchWords(city), "-")),
			Name:   map[string]string{"TJ": "Tribunal judiciaire de ", "CA": "Cour d'appel de "}[kind] + strings.ReplaceAll(city, "-", " "),
			Source: "ldap", CreatedAt: epoch}
		if err := s.CreateCourt(ctx, c); err != nil {
			b.Fatal(err)
		}
		courts = append(courts, c)
	}

	partners := make([]*navette.User, 0, 75_000)
	for i := range 75_000 {
		u := benchUser(r, i, navette.RolePartner)
		u.Source = "lawyers"
		u.ExternalID = fmt.Sprintf("CNBF-%d-%05d", 1970+r.IntN(55), i)
		switch {
		case i%10 < 8:
			u.Kind, u.Org = "lawyer", "Barreau de "+strings.ReplaceAll(benchCities[r.IntN(len(benchCities))], "-", " ")
		case i%10 == 8:
			u.Kind, u.Org = "bailiff", "Chambre des commissaires de justice"
		default:
			u.Kind, u.Org = "expert", "Compagnie des experts de "+strings.ReplaceAll(benchCities[r.IntN(len(benchCities))], "-", " ")
		}
		partners = append(partners, u)
	}
	start := time.Now()
	if err := s.SaveUsers(ctx, partners, nil); err != nil {
		b.Fatal(err)
	}
	saveAll = time.Since(start)

	var batch []*navette.User
	for i := range 90_000 {
		var u *navette.User
		c := courts[r.IntN(len(courts))]
		switch {
		case i < 1_700:
			c = courts[i%len(courts)]
			u = &navette.User{ID: navette.NewID(), Email: fmt.Sprintf("service-%d@justice.gouv.fr", i), Role: navette.RoleService,
				Name: []string{"Greffe correctionnel", "Greffe civil", "Parquet", "Service de l'application des peines",
					"Juge des enfants", "Greffe des mineurs", "Juge d'instruction", "Bureau d'ordre", "Service de l'exécution des peines",
					"Greffe du juge aux affaires familiales"}[i/len(courts)%10] + " — " + c.Name,
				CreatedAt: epoch}
		case i%50 == 0:
			u = benchUser(r, i, navette.RoleCourtAdmin)
		default:
			u = benchUser(r, i, navette.RoleAgent)
		}
		u.CourtID = c.ID
		u.Source, u.ExternalID = "ldap", fmt.Sprintf("uid%06d", i)
		batch = append(batch, u)
		if len(batch) == 10_000 {
			if err := s.SaveUsers(ctx, batch, nil); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return courts, saveAll
}

// benchQuery is a search as a person types it in a recipient field.
type benchQuery struct {
	class string
	f     navette.UserFilter
}

// benchQueries makes n queries from the words of users' names: one to
// three words, each a prefix of 3 letters or more of a word of the same
// person, in any case and without accents, with the filters of the web
// interface; and a class of one or two letter queries.
func benchQueries(r *rand.Rand, n int, courts []*navette.Court) []benchQuery {
	var out []benchQuery
	for len(out) < n {
		first := benchFirst[r.IntN(len(benchFirst))]
		last := benchLast[r.IntN(len(benchLast))]
		words := append(navette.SearchWords(last), navette.SearchWords(first)...)
		prefix := func(w string) string {
			if len(w) <= 3 {
				return w
			}
			return w[:3+r.IntN(len(w)-2)]
		}
		var q benchQuery
		switch k := r.IntN(10); {
		case k < 4:
			q = benchQuery{"1word", navette.UserFilter{Text: prefix(words[0])}}
		case k < 7:
			q = benchQuery{"2words", navette.UserFilter{Text: prefix(words[0]) + " " + prefix(words[len(words)-1])}}
		case k < 9:
			q = benchQuery{"3words", navette.UserFilter{Text: words[len(words)-1] + " " + prefix(words[0]) + " " +
				prefix(navette.SearchWords(benchCities[r.IntN(len(benchCities))])[0])}}
		default:
			q = benchQuery{"short", navette.UserFilter{Text: words[0][:1+r.IntN(2)]}}
		}
		if r.IntN(2) == 0 {
			q.f.Text = strings.ToUpper(q.f.Text)
		}
		switch r.IntN(4) {
		case 0:
			q.f.Roles, q.f.Enabled = []navette.Role{navette.RolePartner, navette.RoleService}, true
		case 1:
			q.f.Roles, q.f.Enabled = []navette.Role{navette.RoleAgent, navette.RoleCourtAdmin}, true
		case 2:
			q.f.CourtID, q.f.Enabled = courts[r.IntN(len(courts))].ID, true
		}
		out = append(out, q)
	}
	return out
}

// BenchmarkSearchUsers searches a national directory of 165,000 users the
// way the recipient field does, and reports the 50th and 95th percentiles
// and the maximum of the time a query takes, overall and per class of
// query, and the time SaveUsers took to create the 75,000 partners in one
// call.
func BenchmarkSearchUsers(b *testing.B) {
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "meta.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	courts, saveAll := seedDirectory(b, s)
	queries := benchQueries(rand.New(rand.NewPCG(3, 4)), 2000, courts)
	times := map[string][]time.Duration{}
	found := 0
	i := 0
	for b.Loop() {
		q := queries[i%len(queries)]
		i++
		start := time.Now()
		us, err := s.SearchUsers(b.Context(), q.f)
		d := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		found += len(us)
		times[q.class] = append(times[q.class], d)
		times["all"] = append(times["all"], d)
	}
	b.StopTimer()
	for class, ds := range times {
		slices.Sort(ds)
		pct := func(p float64) float64 { return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) / 1000 }
		if class == "all" {
			b.ReportMetric(pct(0.5), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
			b.ReportMetric(pct(1), "max-ms")
		} else {
			b.ReportMetric(pct(0.95), "p95-"+class+"-ms")
		}
	}
	b.ReportMetric(float64(found)/float64(i), "users/query")
	b.ReportMetric(saveAll.Seconds(), "save75k-s")
}
