// Package deploy_test checks what deploy/ ships: the systemd unit with
// Debian's systemd-analyze, and the Debian package built by "make deb" and
// installed with Debian's dpkg into a temporary root.
package deploy_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// unitRoot makes a root for systemd-analyze: the host's units, the unit
// under test, and executables at the paths it runs.
func unitRoot(t *testing.T, root, unit string) {
	t.Helper()
	dst := filepath.Join(root, "lib/systemd/system")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", "/lib/systemd/system/.", dst).CombinedOutput(); err != nil {
		t.Fatalf("copying the host's units: %v %s", err, out)
	}
	if unit != "" {
		copyFile(t, unit, filepath.Join(dst, "navette.service"), 0o644)
	}
	for _, p := range []string{"usr/bin/navette", "bin/kill"} {
		if _, err := os.Stat(filepath.Join(root, p)); err == nil {
			continue
		}
		copyFile(t, "/bin/true", filepath.Join(root, p), 0o755)
	}
}

func copyFile(t *testing.T, src, dst string, mode fs.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, mode); err != nil {
		t.Fatal(err)
	}
}

var exposureRE = regexp.MustCompile(`Overall exposure level for navette\.service: ([0-9.]+) (\S+)`)

// checkUnit runs systemd-analyze verify on the unit in root (it must say
// nothing) and prints its security exposure, which must be OK or better.
func checkUnit(t *testing.T, root, unitFile string) {
	t.Helper()
	out, err := exec.Command("systemd-analyze", "verify", "--root="+root, "navette.service").CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command("systemd-analyze", "security", "--offline=true", "--no-pager", unitFile).CombinedOutput()
	m := exposureRE.FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	t.Logf("systemd-analyze security: exposure %s %s", m[1], m[2])
	switch string(m[2]) {
	case "SAFE", "OK", "PERFECT":
	default:
		t.Errorf("exposure %s %s, want OK or better:\n%s", m[1], m[2], out)
	}
}

// TestServiceUnit: the unit verifies clean and its exposure is OK or
// better.
func TestServiceUnit(t *testing.T) {
	root := t.TempDir()
	unitRoot(t, root, "navette.service")
	checkUnit(t, root, "navette.service")
	b, err := os.ReadFile("navette.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"User=navette", "ProtectSystem=strict", "ReadWritePaths=/var/lib/navette", "PrivateTmp=yes", "NoNewPrivileges=yes",
		"CapabilityBoundingSet=\n", "SystemCallFilter=@system-service", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
		"MemoryDenyWriteExecute=yes", "LockPersonality=yes", "ExecStart=/usr/bin/navette serve --config /etc/navette/navette.toml",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the unit lacks %q", want)
		}
	}
}

// TestDebPackage builds the package with "make deb", installs it with
// dpkg -i into a temporary root (its maintainer scripts run without chroot,
// under DPKG_ROOT, as they do for an install into another root), checks
// what it put where, that it made the navette user and gave it the data
// directory, that the installed binary takes the installed configuration,
// and that the installed unit verifies; then upgrades over itself and
// purges, which keeps a data directory that holds data. dpkg needs root.
func TestDebPackage(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("dpkg -i into a root needs root (as in CI)")
	}
	dist := t.TempDir()
	mk := exec.Command("make", "-C", "..", "deb", "DIST="+dist, "VERSION=0.1.0~test")
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("make deb: %v\n%s", err, out)
	}
	deb := filepath.Join(dist, "navette_0.1.0~test_amd64.deb")
	if _, err := os.Stat(deb); err != nil {
		t.Fatal(err)
	}

	root := t.TempDir()
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "etc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range map[string]string{
		"var/lib/dpkg/status": "", "var/lib/dpkg/available": "",
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\n", "etc/group": "root:x:0:\n",
		"etc/shadow": "root:*::0:99999:7:::\n", "etc/gshadow": "root:*::\n",
	} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dpkg := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("dpkg", append([]string{"--root=" + root, "--force-script-chrootless"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("dpkg %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	out := dpkg("-i", deb)
	if !strings.Contains(out, "systemctl enable --now navette") {
		t.Errorf("the first install does not say how to start the service:\n%s", out)
	}

	passwd, _ := os.ReadFile(filepath.Join(root, "etc/passwd"))
	m := regexp.MustCompile(`(?m)^navette:x:(\d+):(\d+):[^:]*:/var/lib/navette:/usr/sbin/nologin$`).FindStringSubmatch(string(passwd))
	if m == nil {
		t.Fatalf("no navette system user:\n%s", passwd)
	}
	uid, gid := m[1], m[2]
	group, _ := os.ReadFile(filepath.Join(root, "etc/group"))
	if !strings.Contains(string(group), "navette:x:"+gid+":") {
		t.Fatalf("no navette group %s:\n%s", gid, group)
	}
	for _, f := range []struct {
		path     string
		mode     fs.FileMode
		uid, gid string
	}{
		{"usr/bin/navette", 0o755, "0", "0"},
		{"usr/lib/systemd/system/navette.service", 0o644, "0", "0"},
		{"etc/navette/navette.toml", 0o640, "0", gid},
		{"var/lib/navette", fs.ModeDir | 0o700, uid, gid},
		{"usr/share/doc/navette/operations.md", 0o644, "0", "0"},
	} {
		fi, err := os.Stat(filepath.Join(root, f.path))
		if err != nil {
			t.Errorf("%s: %v", f.path, err)
			continue
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode() != f.mode || strconv.FormatUint(uint64(st.Uid), 10) != f.uid || strconv.FormatUint(uint64(st.Gid), 10) != f.gid {
			t.Errorf("%s: %v %d:%d, want %v %s:%s", f.path, fi.Mode(), st.Uid, st.Gid, f.mode, f.uid, f.gid)
		}
	}
	if out := dpkg("--status", "navette"); !strings.Contains(out, "Status: install ok installed") || !strings.Contains(out, "/etc/navette/navette.toml") {
		t.Errorf("dpkg --status:\n%s", out)
	}

	// The installed binary with the installed configuration.
	cmd := exec.Command(filepath.Join(root, "usr/bin/navette"), "serve", "--config", filepath.Join(root, "etc/navette/navette.toml"), "--print-config")
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	pc, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(pc), `data = "/var/lib/navette"`) || !strings.Contains(string(pc), `log-format = "json"`) {
		t.Errorf("navette serve --print-config with the installed configuration: %v\n%s", err, pc)
	}

	// The installed unit, as systemd would see it in that root.
	unitRoot(t, root, "")
	checkUnit(t, root, filepath.Join(root, "usr/lib/systemd/system/navette.service"))

	// An upgrade keeps the operator's configuration and the data.
	conf := filepath.Join(root, "etc/navette/navette.toml")
	if err := os.WriteFile(conf, []byte("data = \"/srv/navette\"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(root, "var/lib/navette/navette.db")
	if err := os.WriteFile(keep, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	dpkg("--force-confold", "-i", deb)
	if b, _ := os.ReadFile(conf); string(b) != "data = \"/srv/navette\"\n" {
		t.Errorf("the upgrade replaced the configuration: %q", b)
	}
	out = dpkg("--purge", "navette")
	if _, err := os.Stat(filepath.Join(root, "usr/bin/navette")); err == nil {
		t.Error("the binary outlived the purge")
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("the purge removed the data: %v\n%s", err, out)
	}
}
