package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseConfigFile(t *testing.T) {
	tests := []struct {
		name, in string
		want     []fileSetting
		err      string
	}{
		{"empty", "", nil, ""},
		{"comments", "# a\n\n   # b\r\n", nil, ""},
		{"scalars", "a = \"x y\"\nb=12  # twelve\nc = true\nd = 'C:\\no\\escape'\ne = -4_000\n", []fileSetting{
			{"a", 1, kindString, "x y"}, {"b", 2, kindInt, "12"}, {"c", 3, kindBool, "true"},
			{"d", 4, kindString, `C:\no\escape`}, {"e", 5, kindInt, "-4000"},
		}, ""},
		{"escapes", `k = "a\"b\\c\u00e9\t"`, []fileSetting{{"k", 1, kindString, "a\"b\\cé\t"}}, ""},
		{"hash in string", `k = "a#b" # c`, []fileSetting{{"k", 1, kindString, "a#b"}}, ""},
		{"duplicate", "a = 1\nb = 2\na = 3\n", nil, "line 3: a is already set on line 1"},
		{"table", "a = 1\n[server]\n", nil, "line 2: tables are not used"},
		{"no equals", "\n\nmax-files 12\n", nil, "line 3: max-files: expected = after the name"},
		{"dotted", "a.b = 1", nil, "line 1: a: dotted names are not used"},
		{"bare word", "theme = dsfr", nil, `line 1: theme: "dsfr" is not a value`},
		{"leading zero", "a = 012", nil, "is not a value"},
		{"float", "a = 1.5", nil, "is not a value"},
		{"underscore edge", "a = 1__0", nil, "is not a value"},
		{"too big", "a = 99999999999999999999", nil, "out of range"},
		{"array", `a = ["x"]`, nil, "arrays and tables are not used"},
		{"multi-line", `a = """x"""`, nil, "multi-line strings are not used"},
		{"unclosed", `a = "x`, nil, `no closing "`},
		{"unclosed literal", `a = 'x`, nil, "no closing '"},
		{"bad escape", `a = "\q"`, nil, `bad escape \q`},
		{"surrogate", `a = "\uD800"`, nil, "bad escape"},
		{"trailing", `a = "x" y`, nil, `unexpected "y" after the value`},
		{"control", "a = \"x\x01\"", nil, "control character"},
		{"missing value", "a =", nil, "the value is missing"},
		{"not utf-8", "a = \"\xff\"", nil, "not UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseConfigFile(strings.NewReader(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// FuzzParseConfigFile: whatever the file, the parser answers settings or
// an error naming a line; every string it accepts is written back by
// quoteTOML to a line it parses to the same value.
func FuzzParseConfigFile(f *testing.F) {
	f.Add("a = \"x\"\nb = 1\nc = false # c\n")
	f.Add("k = 'lit' \r\n[t]\n")
	f.Add(`k = "\U0001F600\e"`)
	if b, err := os.ReadFile("../deploy/navette.toml"); err == nil {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseConfigFile(strings.NewReader(in))
		if err != nil {
			if _, ok := err.(*configError); !ok {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		for _, s := range got {
			if s.Kind != kindString {
				continue
			}
			back, err := parseConfigFile(strings.NewReader(s.Key + " = " + quoteTOML(s.Text)))
			if err != nil || len(back) != 1 || back[0].Text != s.Text {
				t.Fatalf("%q does not round-trip: %v %+v", s.Text, err, back)
			}
		}
	})
}

// TestServeConfigFile: serve reads its configuration file under the same
// names as its flags, the command line and NAVETTE_* variables win over
// it, --print-config tells where each value came from with secrets
// masked, and a bad file is refused at start with one line naming the
// line and the setting.
func TestServeConfigFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "navette.toml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`data = "` + dir + `/data"
max-files = 7
max-retention-days = 20
session-idle = "45m"
antivirus = "off"
mail-include-names = true
smtp = "smtp://navette:s3cr3t-pw@mail.example:587"
public-url = "https://navette.example"
`)
	vars := map[string]string{
		"NAVETTE_CONFIG":             file,
		"NAVETTE_MAX_FILES":          "9",
		"NAVETTE_SMTP_PASSWORD":      "env-secret-pw",
		"NAVETTE_OIDC_CLIENT_SECRET": "",
	}
	r := runCLI(t, vars, false, "serve", "--print-config", "--max-retention-days", "25")
	if r.code != 0 {
		t.Fatalf("print-config: %d %q", r.code, r.stderr)
	}
	for _, want := range []string{
		`max-files = 9`, "# NAVETTE_MAX_FILES",
		`max-retention-days = 25`, "# command line",
		`session-idle = "45m0s"`, "# " + file + ":4",
		`mail-include-names = true`,
		`smtp = "smtp://navette:xxxxx@mail.example:587"`,
		`addr = "127.0.0.1:8080"`, "# default",
		"NAVETTE_SMTP_PASSWORD: set (hidden)",
		"NAVETTE_OIDC_CLIENT_SECRET: not set",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("print-config lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, secret := range []string{"s3cr3t-pw", "env-secret-pw"} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("print-config shows the secret %q", secret)
		}
	}
	// The output is itself a configuration file serve accepts.
	write(r.stdout)
	if r2 := runCLI(t, map[string]string{"NAVETTE_CONFIG": file}, false, "serve", "--print-config"); r2.code != 0 || !strings.Contains(r2.stdout, "max-retention-days = 25") {
		t.Fatalf("print-config's output as a file: %d %q", r2.code, r2.stderr)
	}

	bad := []struct{ file, want string }{
		{"data = \"/x\"\nmax-file-sise = 10\n", `:2: unknown setting "max-file-sise" (did you mean max-file-size?)`},
		{"colour = 1\n", `:1: unknown setting "colour" (the names are those of the flags`},
		{"config = \"/etc/other.toml\"\n", `:1: unknown setting "config"`},
		{"max-files = \"12\"\n", ":1: max-files must be an integer, not a string"},
		{"session-idle = 30\n", `:1: session-idle must be a string (a duration in quotes, e.g. "30m"), not an integer`},
		{"session-idle = \"30 minutes\"\n", `:1: session-idle: "30 minutes" is not a duration`},
		{"mail-include-names = \"yes\"\n", ":1: mail-include-names must be true or false, not a string"},
		{"max-files = 99999999999999999999\n", ":1: max-files: 99999999999999999999 is out of range"},
		{"\n\ntheme = dsfr\n", `:3: theme: "dsfr" is not a value`},
	}
	for _, tc := range bad {
		write(tc.file)
		r := runCLI(t, nil, false, "serve", "--config", file)
		if r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, file+tc.want) {
			t.Errorf("%q: %d %q, want %q", tc.file, r.code, r.stderr, tc.want)
		}
	}
	// A value the command line overrides is still checked.
	write("max-files = \"x\"\n")
	if r := runCLI(t, nil, false, "serve", "--config", file, "--max-files", "3", "--print-config"); r.code != 2 {
		t.Errorf("a wrong value under an override: %d %q", r.code, r.stderr)
	}
	if r := runCLI(t, nil, false, "serve", "--config", "", "--data", dir, "--antivirus=off", "--log-format", "yaml"); r.code != 2 || !strings.Contains(r.stderr, "--log-format must be text or json") {
		t.Errorf("--log-format yaml: %d %q", r.code, r.stderr)
	}
	// A named file must exist.
	if r := runCLI(t, nil, false, "serve", "--config", filepath.Join(dir, "none.toml")); r.code != 2 || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("missing named file: %d %q", r.code, r.stderr)
	}
}

// TestShippedConfig: the configuration file the package installs is valid
// and sets what it says.
func TestShippedConfig(t *testing.T) {
	r := runCLI(t, nil, false, "serve", "--config", "../deploy/navette.toml", "--print-config")
	if r.code != 0 {
		t.Fatalf("%d %q", r.code, r.stderr)
	}
	for _, want := range []string{`data = "/var/lib/navette"`, `log-format = "json"`, `clamd = "unix:/run/clamav/clamd.ctl"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestMaskSecrets(t *testing.T) {
	for in, want := range map[string]string{
		"smtp://u:p@h:25":                      "smtp://u:xxxxx@h:25",
		"smtp://u@h:25":                        "smtp://u@h:25",
		"postgres://a:b@db/x?sslmode=require":  "postgres://a:xxxxx@db/x?sslmode=require",
		"ldaps://h/dc=x?bind_password=z&tls=1": "ldaps://h/dc=x?bind_password=xxxxx&tls=1",
		"/var/lib/navette":                     "/var/lib/navette",
		"5%/1GiB":                              "5%/1GiB",
	} {
		if got := maskSecrets(in); got != want {
			t.Errorf("maskSecrets(%q) = %q, want %q", in, got, want)
		}
	}
}
