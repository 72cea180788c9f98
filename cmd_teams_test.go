package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"path/filepath"
	"strings"
	"testing"
)

const teamsTestAppID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"

func TestTeamsPackage(t *testing.T) {
	out := filepath.Join(t.TempDir(), "app.zip")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"teams", "package", "--app-id", teamsTestAppID, "--base-url", "https://mmdbot.contoso.example/", "-o", out}, func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "wrote "+out) {
		t.Errorf("stdout: %q", stdout.String())
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(rc)
		rc.Close()
		files[f.Name] = b.Bytes()
	}
	if len(files) != 3 {
		t.Errorf("package holds %d files, want manifest.json, color.png, outline.png", len(files))
	}
	var m struct {
		Developer struct {
			WebsiteURL    string `json:"websiteUrl"`
			PrivacyURL    string `json:"privacyUrl"`
			TermsOfUseURL string `json:"termsOfUseUrl"`
		} `json:"developer"`
		Schema          string `json:"$schema"`
		ManifestVersion string `json:"manifestVersion"`
		ID              string `json:"id"`
		Icons           struct{ Color, Outline string }
		Bots            []struct {
			BotID        string   `json:"botId"`
			Scopes       []string `json:"scopes"`
			CommandLists []struct {
				Commands []struct{ Title string }
			} `json:"commandLists"`
		} `json:"bots"`
		ComposeExtensions []struct {
			BotID    string `json:"botId"`
			Commands []struct {
				ID, Type string
			}
		} `json:"composeExtensions"`
	}
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if m.ManifestVersion != "1.22" || !strings.Contains(m.Schema, "/v1.22/") || m.ID != teamsTestAppID {
		t.Errorf("manifest: version %q, schema %q, id %q", m.ManifestVersion, m.Schema, m.ID)
	}
	// --base-url gives mmdbot's own pages.
	if d := m.Developer; d.WebsiteURL != "https://mmdbot.contoso.example/" || d.PrivacyURL != "https://mmdbot.contoso.example/privacy" || d.TermsOfUseURL != "https://mmdbot.contoso.example/terms" {
		t.Errorf("developer addresses %+v", d)
	}
	if len(m.Bots) != 1 || m.Bots[0].BotID != teamsTestAppID || strings.Join(m.Bots[0].Scopes, " ") != "personal team groupChat" {
		t.Fatalf("bots: %+v", m.Bots)
	}
	var cmds []string
	for _, c := range m.Bots[0].CommandLists[0].Commands {
		cmds = append(cmds, c.Title)
	}
	if strings.Join(cmds, " ") != "help table list" {
		t.Errorf("commands %v", cmds)
	}
	if len(m.ComposeExtensions) != 1 || m.ComposeExtensions[0].BotID != teamsTestAppID || m.ComposeExtensions[0].Commands[0].Type != "query" {
		t.Errorf("compose extensions: %+v", m.ComposeExtensions)
	}
	icons := []struct {
		name        string
		size        int
		transparent bool
	}{{m.Icons.Color, 192, false}, {m.Icons.Outline, 32, true}}
	for _, ic := range icons {
		img, err := png.Decode(bytes.NewReader(files[ic.name]))
		if err != nil {
			t.Fatalf("%s: %v", ic.name, err)
		}
		if b := img.Bounds(); b.Dx() != ic.size || b.Dy() != ic.size {
			t.Errorf("%s is %v, want %d×%d", ic.name, b, ic.size, ic.size)
		}
		checkIcon(t, ic.name, img, ic.transparent)
	}
}

// checkIcon checks that an outline icon is white on transparent, and that a
// colour icon is opaque.
func checkIcon(t *testing.T, name string, img image.Image, outline bool) {
	t.Helper()
	clear, white := 0, 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			switch {
			case a == 0:
				clear++
			case outline && (r != a || g != a || bl != a):
				t.Fatalf("%s: pixel (%d,%d) is not white", name, x, y)
			case !outline && a != 0xffff:
				t.Fatalf("%s: pixel (%d,%d) is not opaque", name, x, y)
			default:
				white++
			}
		}
	}
	if outline && (clear == 0 || white == 0) {
		t.Errorf("%s: %d transparent and %d white pixels", name, clear, white)
	}
}

func TestTeamsPackageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"teams"}, "Usage: mmdbot teams package"},
		{[]string{"teams", "package"}, "give --base-url"},
		{[]string{"teams", "package", "--base-url", "https://mmdbot.contoso.example"}, "no app id"},
		{[]string{"teams", "package", "--app-id", "my-bot", "--base-url", "https://mmdbot.contoso.example"}, "is not a GUID"},
		{[]string{"teams", "package", "--app-id", "{" + teamsTestAppID + "}", "--base-url", "https://mmdbot.contoso.example"}, "is not a GUID"},
		{[]string{"teams", "package", "--app-id", teamsTestAppID + "0", "--base-url", "https://mmdbot.contoso.example"}, "is not a GUID"},
		{[]string{"teams", "package", "--app-id", teamsTestAppID, "--base-url", "https://mmdbot.contoso.example", "--website", "http://example.com"}, "not an https address"},
		{[]string{"teams", "package", "--app-id", teamsTestAppID, "--base-url", "https://mmdbot.contoso.example", "--version", "1.0"}, "not of the form 1.0.0"},
		// No address of the organisation's own: none is made up.
		{[]string{"teams", "package", "--app-id", teamsTestAppID}, "give --base-url"},
		{[]string{"teams", "package", "--app-id", teamsTestAppID, "--website", "https://contoso.example", "--privacy", "https://contoso.example/privacy"}, "or --terms"},
		{[]string{"teams", "package", "--app-id", teamsTestAppID, "--base-url", "http://mmdbot.contoso.example"}, "is not an https address"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), tt.args, func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
		if ec, ok := err.(exitCode); !ok || ec != 2 {
			t.Errorf("%v: error %v, want exit status 2", tt.args, err)
		}
		if !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%v: stderr %q lacks %q", tt.args, stderr.String(), tt.want)
		}
	}
	// An app id from the environment is checked as well.
	var stdout, stderr bytes.Buffer
	notGUID := func(k string) string {
		if k == "MICROSOFT_APP_ID" {
			return "my-bot"
		}
		return ""
	}
	if err := run(context.Background(), []string{"teams", "package", "--base-url", "https://mmdbot.contoso.example", "-o", "-"}, notGUID, strings.NewReader(""), &stdout, &stderr); err == nil || stdout.Len() != 0 || !strings.Contains(stderr.String(), "is not a GUID") {
		t.Errorf("app id from the environment not a GUID: error %v, %d bytes written, stderr %q", err, stdout.Len(), stderr.String())
	}
	// The app id comes from the environment too, and - writes to stdout.
	stdout.Reset()
	stderr.Reset()
	env := func(k string) string {
		if k == "MICROSOFT_APP_ID" {
			return teamsTestAppID
		}
		return ""
	}
	if err := run(context.Background(), []string{"teams", "package", "--base-url", "https://mmdbot.contoso.example", "-o", "-"}, env, strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	if _, err := zip.NewReader(bytes.NewReader(stdout.Bytes()), int64(stdout.Len())); err != nil {
		t.Errorf("stdout is not a zip: %v", err)
	}
}
