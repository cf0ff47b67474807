package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	in := `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"ok\n"}
{"Action":"pass","Package":"p","Test":"TestA","Elapsed":2.5}
{"Action":"output","Package":"p","Test":"TestB","Output":"    b_test.go:3: boom\n"}
{"Action":"fail","Package":"p","Test":"TestB"}
{"Action":"output","Package":"p","Test":"TestC","Output":"    needs x\n"}
{"Action":"skip","Package":"p","Test":"TestC"}
{"Action":"fail","Package":"p","Elapsed":1.5}
`
	var out bytes.Buffer
	if code := run(strings.NewReader(in), &out); code != 1 {
		t.Errorf("exit: got %d, want 1", code)
	}
	for _, want := range []string{"FAIL\tp\t1.500s", "boom", "SKIP p TestC: needs x", "slowest tests:\n     2.5s  p TestA\n", "slowest packages:\n     1.5s  p\n", "tests: 1 passed, 1 failed, 1 skipped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := run(strings.NewReader(`{"Action":"pass","Package":"p","Test":"T"}`+"\n"+`{"Action":"pass","Package":"p"}`+"\n"), &out); code != 0 || !strings.Contains(out.String(), "tests: 1 passed, 0 failed, 0 skipped") {
		t.Errorf("all passing: %d %s", code, out.String())
	}
	out.Reset()
	timed := `{"Time":"2026-12-07T10:00:00Z","Action":"start","Package":"p"}
{"Time":"2026-12-07T10:00:30Z","Action":"start","Package":"q"}
{"Time":"2026-12-07T10:01:40Z","Action":"pass","Package":"q","Elapsed":70}
{"Time":"2026-12-07T10:00:05Z","Action":"pass","Package":"p","Elapsed":5}
`
	run(strings.NewReader(timed), &out)
	if want := "slowest packages:\n    70.0s  q (from 30s to 100s)\n     5.0s  p (from 0s to 5s)\n"; !strings.Contains(out.String(), want) {
		t.Errorf("timed packages: got %q, want it to hold %q", out.String(), want)
	}
}
