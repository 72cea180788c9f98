package main

import (
	"strings"
	"testing"
	"time"
)

func TestAdminConfig(t *testing.T) {
	full := map[string]string{
		"MMD_ADMIN_OIDC_ISSUER":   "https://login.microsoftonline.com/tenant/v2.0",
		"MMD_ADMIN_CLIENT_ID":     "client",
		"MMD_ADMIN_CLIENT_SECRET": "secret",
		"MMD_ADMIN_REDIRECT_URL":  "https://mmdbot.example.com/admin/callback",
		"MMD_ADMIN_ALLOW":         "ada@example.com, role:Reviewer",
		"MMD_ADMIN_DIGEST_AT":     "Monday 09:00",
	}
	with := func(changes map[string]string) adminConfig {
		m := map[string]string{}
		for k, v := range full {
			m[k] = v
		}
		for k, v := range changes {
			m[k] = v
		}
		return adminConfigFrom(func(k string) string { return m[k] })
	}
	a := with(nil)
	if errs := a.check(); len(errs) != 0 || !a.on() || !a.signIn() || a.URL != "https://mmdbot.example.com/admin" || len(a.Allow) != 2 {
		t.Errorf("full configuration: %+v, problems %v", a, errs)
	}
	for _, c := range []struct {
		name    string
		changes map[string]string
		want    string
	}{
		{"partial", map[string]string{"MMD_ADMIN_CLIENT_SECRET": ""}, "MMD_ADMIN_CLIENT_SECRET is not"},
		{"nobody allowed", map[string]string{"MMD_ADMIN_ALLOW": ""}, "MMD_ADMIN_ALLOW is empty"},
		{"plain http", map[string]string{"MMD_ADMIN_REDIRECT_URL": "http://mmdbot.example.com/admin/callback"}, "MMD_ADMIN_REDIRECT_URL: the redirect URL \"http://mmdbot.example.com/admin/callback\" must use https"},
		{"wrong path", map[string]string{"MMD_ADMIN_REDIRECT_URL": "https://mmdbot.example.com/callback"}, "MMD_ADMIN_REDIRECT_URL: the redirect URL \"https://mmdbot.example.com/callback\" must end in /admin/callback"},
		{"tenants' shared issuer", map[string]string{"MMD_ADMIN_OIDC_ISSUER": "https://login.microsoftonline.com/common/v2.0"}, "MMD_ADMIN_OIDC_ISSUER: the issuer \"https://login.microsoftonline.com/common/v2.0\" is shared by every tenant"},
		{"short token", map[string]string{"MMD_ADMIN_TOKEN": "abc"}, "MMD_ADMIN_TOKEN is too short"},
		{"bad digest time", map[string]string{"MMD_ADMIN_CHANNEL_SLACK": "C1", "MMD_ADMIN_DIGEST_AT": "someday"}, "MMD_ADMIN_DIGEST_AT"},
	} {
		var got []string
		for _, err := range with(c.changes).check() {
			got = append(got, err.Error())
		}
		if !strings.Contains(strings.Join(got, "\n"), c.want) {
			t.Errorf("%s: problems %q, want one with %q", c.name, got, c.want)
		}
	}
	if a := with(map[string]string{"MMD_ADMIN_REDIRECT_URL": "http://localhost:8080/admin/callback"}); len(a.check()) != 0 {
		t.Errorf("localhost over http: %v", a.check())
	}
	off := adminConfigFrom(func(string) string { return "" })
	if off.on() || !strings.Contains(off.state(), "admin: off (set MMD_ADMIN_OIDC_ISSUER") {
		t.Errorf("off: %q", off.state())
	}
}

func TestParseDigestAt(t *testing.T) {
	for in, want := range map[string]struct {
		day time.Weekday
		at  time.Duration
	}{
		"Monday 09:00": {time.Monday, 9 * time.Hour},
		"fri 17:30":    {time.Friday, 17*time.Hour + 30*time.Minute},
	} {
		day, at, err := parseDigestAt(in)
		if err != nil || day != want.day || at != want.at {
			t.Errorf("%q: %v %v %v", in, day, at, err)
		}
	}
	for _, bad := range []string{"", "Monday", "Moonday 09:00", "Monday 25:00", "09:00 Monday"} {
		if _, _, err := parseDigestAt(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
