package teams

import (
	"bytes"
	"encoding/json"
	goldenfile "github.com/mmdbot/mmdbot/internal/golden"
	"path/filepath"
	"strings"
	"testing"
)

// testPackage are the options of a package for the tests.
var testPackage = PackageOptions{AppID: "3f2504e0-4f89-11d3-9a0c-0305e82c3301", WebsiteURL: "https://mmdbot.contoso.example/",
	PrivacyURL: "https://mmdbot.contoso.example/privacy", TermsURL: "https://mmdbot.contoso.example/terms"}

func TestManifestGolden(t *testing.T) {
	m, err := Manifest(testPackage)
	if err != nil {
		t.Fatal(err)
	}
	goldenfile.Check(t, filepath.Join("testdata", "manifest.json"), m)
	// The limits of the manifest schema.
	var v manifest
	if err := json.Unmarshal(m, &v); err != nil {
		t.Fatal(err)
	}
	if n := len(v.Description.Short); n > 80 {
		t.Errorf("short description of %d characters, over 80", n)
	}
	if n := len(v.Description.Full); n > 4000 {
		t.Errorf("full description of %d characters, over 4000", n)
	}
	if n := len(v.Name.Full); n > 100 {
		t.Errorf("full name of %d characters, over 100", n)
	}
	for _, c := range v.Bots[0].CommandLists[0].Commands {
		if len(c.Title) > 32 || len(c.Description) > 128 {
			t.Errorf("command %q too long", c.Title)
		}
	}
	for _, c := range v.ComposeExtensions[0].Commands {
		if c.ID != SearchCommand || c.Parameters[0].Name != searchParameter || len(c.Title) > 32 {
			t.Errorf("search command %+v", c)
		}
	}
}

func TestPackageIsReproducible(t *testing.T) {
	var a, b bytes.Buffer
	o := testPackage
	if err := WritePackage(&a, o); err != nil {
		t.Fatal(err)
	}
	WritePackage(&b, o)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two packages of the same options differ")
	}
}

// Every address the app's details show must be given: no default points
// anywhere an organisation has not chosen.
func TestManifestNeedsAddresses(t *testing.T) {
	for _, unset := range []func(*PackageOptions){
		func(o *PackageOptions) { o.WebsiteURL = "" },
		func(o *PackageOptions) { o.PrivacyURL = "" },
		func(o *PackageOptions) { o.TermsURL = "" },
	} {
		o := testPackage
		unset(&o)
		if _, err := Manifest(o); err == nil || !strings.Contains(err.Error(), "no ") {
			t.Errorf("%+v: %v, want an error naming the missing address", o, err)
		}
	}
}
