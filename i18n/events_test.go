package i18n

import (
	"go/constant"
	"go/importer"
	"go/token"
	"go/types"
	"testing"

	"navette"
)

// eventTypes returns every navette.EventType constant package navette
// declares, by its value, as the type checker sees the package's source.
func eventTypes(t *testing.T) map[navette.EventType]string {
	t.Helper()
	pkg, err := importer.ForCompiler(token.NewFileSet(), "source", nil).Import("navette")
	if err != nil {
		t.Fatal(err)
	}
	out := map[navette.EventType]string{}
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		c, ok := scope.Lookup(name).(*types.Const)
		if ok && types.TypeString(c.Type(), nil) == "navette.EventType" {
			out[navette.EventType(constant.StringVal(c.Val()))] = name
		}
	}
	if len(out) < 60 {
		t.Fatalf("only %d event types found: the extraction is broken", len(out))
	}
	return out
}

// TestEventLabels checks that every event type package navette declares
// has a French and an English label, and that the table names no other.
func TestEventLabels(t *testing.T) {
	types := eventTypes(t)
	for typ, name := range types {
		l, ok := eventLabels[typ]
		if !ok || l[0] == "" || l[1] == "" {
			t.Errorf("navette.%s (%q) has no label in French and English: add it to eventLabels in i18n/events.go", name, typ)
			continue
		}
		if EventLabel(navette.LangFrench, typ) != l[0] || EventLabel(navette.LangEnglish, typ) != l[1] {
			t.Errorf("EventLabel(%q) does not give its labels", typ)
		}
	}
	for typ := range eventLabels {
		if _, ok := types[typ]; !ok {
			t.Errorf("eventLabels names %q, which is no navette.EventType", typ)
		}
	}
	if got := EventLabel(navette.LangFrench, "some.future"); got != "some.future" {
		t.Errorf("an unknown type: got %q, want its code", got)
	}
}
