package web

import "testing"

func TestGroupByCase(t *testing.T) {
	rows := []row{{ID: "1", CaseID: "a"}, {ID: "2"}, {ID: "3", CaseID: "b"}, {ID: "4", CaseID: "a"}, {ID: "5"}}
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
