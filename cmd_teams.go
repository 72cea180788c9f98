package main

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/mmdbot/mmdbot/adapters/teams"
	"github.com/mmdbot/mmdbot/web"
)

func cmdTeams(ctx context.Context, e env, usage string, args []string) error {
	if sub, err := subcommandOf(e, usage, args, "package"); sub == "" {
		return err
	}
	fs := newFlags(e, "teams package", usage)
	var o teams.PackageOptions
	fs.StringVar(&o.AppID, "app-id", e.getenv("MICROSOFT_APP_ID"), "the Azure Bot's Microsoft App ID, a GUID (env MICROSOFT_APP_ID)")
	out := fs.String("o", "mmdbot-teams.zip", "file to write the package to; - writes it to standard output")
	fs.StringVar(&o.Name, "name", "mmd", "the app's short name, which people @mention (at most 30 characters)")
	fs.StringVar(&o.Version, "version", "1.0.0", "the app's version; raise it for every upload of a changed package")
	fs.StringVar(&o.Developer, "developer", "mmdbot", "who publishes the app: your organisation's name")
	base := fs.String("base-url", "", "the https address where mmdbot serves, as Teams reaches it (https://mmdbot.contoso.com): the website, and its /privacy and /terms pages the privacy statement and terms of use, unless given below")
	fs.StringVar(&o.WebsiteURL, "website", "", "https address of the publisher's website (default: --base-url)")
	fs.StringVar(&o.PrivacyURL, "privacy", "", "https address of the privacy statement (default: --base-url's "+web.PrivacyPath+")")
	fs.StringVar(&o.TermsURL, "terms", "", "https address of the terms of use (default: --base-url's "+web.TermsPath+")")
	if ok, err := parseFlags(fs, args[1:]); !ok {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return exitCode(2)
	}
	if *base != "" {
		b, err := url.Parse(*base)
		if err != nil || b.Scheme != "https" || b.Host == "" || b.RawQuery != "" || b.Fragment != "" {
			fmt.Fprintf(e.stderr, "mmdbot teams package: --base-url %q is not an https address such as https://mmdbot.contoso.com\n", *base)
			return exitCode(2)
		}
		root := strings.TrimSuffix(b.String(), "/")
		setDefault(&o.WebsiteURL, root+"/")
		setDefault(&o.PrivacyURL, root+web.PrivacyPath)
		setDefault(&o.TermsURL, root+web.TermsPath)
	}
	var missing []string
	for _, f := range []struct{ flag, value string }{{"--website", o.WebsiteURL}, {"--privacy", o.PrivacyURL}, {"--terms", o.TermsURL}} {
		if f.value == "" {
			missing = append(missing, f.flag)
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(e.stderr, "mmdbot teams package: give --base-url, the https address where mmdbot serves its privacy statement and terms of use (%s and %s), or %s\n",
			web.PrivacyPath, web.TermsPath, strings.Join(missing, ", "))
		return exitCode(2)
	}
	var buf bytes.Buffer
	if err := teams.WritePackage(&buf, o); err != nil {
		fmt.Fprintf(e.stderr, "mmdbot %v\n", err)
		return exitCode(2)
	}
	if *out == "-" {
		_, err := e.stdout.Write(buf.Bytes())
		return err
	}
	if err := writeFileAtomic(*out, buf.Bytes()); err != nil {
		return fmt.Errorf("teams package: %w", err)
	}
	fmt.Fprintf(e.stdout, "wrote %s: manifest %s for app %s with icons; privacy statement %s, terms of use %s; upload it in Teams (Apps → Manage your apps → Upload an app)\n", *out, teams.ManifestVersion, o.AppID, o.PrivacyURL, o.TermsURL)
	return nil
}

// setDefault sets *s to v when it is empty.
func setDefault(s *string, v string) {
	if *s == "" {
		*s = v
	}
}

// writeFileAtomic writes data to a temporary file beside path, then renames
// it, so that a failed write leaves no half-written package.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".mmdbot-teams-*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
