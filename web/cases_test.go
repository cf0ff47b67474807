package web

import "testing"

func TestGroupByCase(t *testing.T) {
	r := func(id, caseID string) row { return row{listedDeposit: listedDeposit{ID: id}, CaseID: caseID} }
	rows := []row{r("1", "a"), r("2", ""), r("3", "b"), r("4", "a"), r("5", "")}
	got := groupByCase(rows)
	want := []struct {
		id    string
		start bool
	}{{"1", true}, {"4", false}, {"3", true}, {"2", true}, {"5", false}}
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].ID != w.id || got[i].GroupStart != w.start {
			t.Errorf("row %d: %s (start %v), want %s (start %v)", i, got[i].ID, got[i].GroupStart, w.id, w.start)
		}
	}
}

func TestCasePages(t *testing.T) {
	for _, tc := range []struct {
		q, before, next   string
		wantNext, wantFst string
	}{
		{"", "", "", "", ""},
		{"", "", "1.abc", "/cases?before=1.abc", ""},
		{"", "1.abc", "2.def", "/cases?before=2.def", "/cases"},
		{"rg 1/2", "1.abc", "", "", "/cases?q=rg+1%2F2"},
		{"rg", "", "3.x", "/cases?before=3.x&q=rg", ""},
	} {
		next, first := casePages(tc.q, tc.before, tc.next)
		if next != tc.wantNext || first != tc.wantFst {
			t.Errorf("casePages(%q, %q, %q) = %q, %q; want %q, %q", tc.q, tc.before, tc.next, next, first, tc.wantNext, tc.wantFst)
		}
	}
}
