package metrics_test

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metricsql"
	"go.yaml.in/yaml/v3"
)

// documented returns the metric names of the table in docs/operations.md.
func documented(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(navette_[a-z0-9_]+)` \\|").FindAllSubmatch(b, -1) {
		out[string(m[1])] = true
	}
	if len(out) < 20 {
		t.Fatalf("only %d metrics documented in docs/operations.md", len(out))
	}
	return out
}

// checkExpr parses expr as PromQL (with MetricsQL's parser, a superset:
// promtool is not installed here) and checks that every navette metric it
// names is documented.
func checkExpr(t *testing.T, where, expr string, docs map[string]bool) {
	t.Helper()
	if _, err := metricsql.Parse(expr); err != nil {
		t.Errorf("%s: %q does not parse: %v", where, expr, err)
	}
	for _, name := range regexp.MustCompile(`navette_[a-z0-9_]+`).FindAllString(expr, -1) {
		base := name
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(name, suf); ok && docs[b] {
				base = b
			}
		}
		if !docs[base] {
			t.Errorf("%s: %s is not documented in docs/operations.md", where, name)
		}
	}
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// TestAlertRules checks deploy/prometheus-alerts.yml: strict YAML in the
// shape of Prometheus rule files, every expression parsed, every metric
// documented, and the alerts operations rely on present.
func TestAlertRules(t *testing.T) {
	b, err := os.ReadFile("../deploy/prometheus-alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var rf ruleFile
	if err := dec.Decode(&rf); err != nil {
		t.Fatalf("prometheus-alerts.yml: %v", err)
	}
	docs := documented(t)
	var names []string
	for _, g := range rf.Groups {
		if g.Name == "" || len(g.Rules) == 0 {
			t.Errorf("group %q: no name or no rules", g.Name)
		}
		for _, r := range g.Rules {
			if r.Alert == "" || slices.Contains(names, r.Alert) {
				t.Errorf("rule %q: no name, or twice", r.Alert)
			}
			names = append(names, r.Alert)
			checkExpr(t, r.Alert, r.Expr, docs)
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", r.Alert, r.For, err)
				}
			}
			if s := r.Labels["severity"]; s != "warning" && s != "critical" {
				t.Errorf("%s: severity %q", r.Alert, s)
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("%s: no summary", r.Alert)
			}
		}
	}
	for _, want := range []string{"NavetteBlobStoreDiskLow", "NavetteDeadLetters", "NavetteJournalCheckpointStale",
		"NavetteTimestampStale", "NavetteAntivirusDown", "NavetteHigh5xxRate", "NavetteFilesStuckInChecking"} {
		if !slices.Contains(names, want) {
			t.Errorf("no alert %s", want)
		}
	}
}

// TestGrafanaDashboard checks deploy/grafana-dashboard.json: JSON, every
// panel's query parsed and its metrics documented.
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile("../deploy/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title  string `json:"title"`
		Panels []struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	docs := documented(t)
	queries := 0
	for _, p := range d.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			queries++
			checkExpr(t, p.Title, strings.ReplaceAll(q.Expr, "$instance", ".*"), docs)
		}
	}
	if d.Title == "" || queries < 10 {
		t.Errorf("dashboard %q with %d queries", d.Title, queries)
	}
}
