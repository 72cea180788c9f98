package teams

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/url"
	"regexp"
	"time"
)

// The Teams app manifest version the package declares.
const (
	ManifestVersion = "1.22"
	ManifestSchema  = "https://developer.microsoft.com/en-us/json-schemas/teams/v1.22/MicrosoftTeams.schema.json"
	// Icon sizes Teams requires.
	ColorIconSize   = 192
	OutlineIconSize = 32
)

// accent is mmdbot's colour: the card accent, the icon background.
var accent = color.NRGBA{R: 0x0F, G: 0x6C, B: 0xBD, A: 0xFF}

// PackageOptions describe the Teams app package. AppID and the three
// addresses are required; the rest have defaults.
type PackageOptions struct {
	// AppID is the Azure Bot's Microsoft App ID (a GUID); it is the app's
	// id too.
	AppID string
	// Version is the app's version, "1.0.0" by default.
	Version string
	// Name is the short name people mention, "mmd" by default.
	Name string
	// Developer, WebsiteURL, PrivacyURL and TermsURL say who publishes the
	// app (Developer is "mmdbot" by default); Teams shows them in the app's
	// details and requires https addresses. mmdbot serve has a privacy
	// statement and terms of use of its own, at /privacy and /terms.
	Developer, WebsiteURL, PrivacyURL, TermsURL string
}

var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
var semver = regexp.MustCompile(`^\d{1,9}\.\d{1,9}\.\d{1,9}$`)

func (o PackageOptions) withDefaults() PackageOptions {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.Version, "1.0.0")
	def(&o.Name, "mmd")
	def(&o.Developer, "mmdbot")
	return o
}

func (o PackageOptions) validate() error {
	if o.AppID == "" {
		return errors.New("teams package: no app id (the Azure Bot's Microsoft App ID)")
	}
	if !guid.MatchString(o.AppID) {
		return fmt.Errorf("teams package: app id %q is not a GUID such as 00000000-0000-0000-0000-000000000000", o.AppID)
	}
	if !semver.MatchString(o.Version) {
		return fmt.Errorf("teams package: version %q is not of the form 1.0.0", o.Version)
	}
	if n := len([]rune(o.Name)); n == 0 || n > 30 {
		return fmt.Errorf("teams package: name %q must be 1 to 30 characters", o.Name)
	}
	for _, a := range []struct{ what, url string }{{"website", o.WebsiteURL}, {"privacy", o.PrivacyURL}, {"terms", o.TermsURL}} {
		if a.url == "" {
			return fmt.Errorf("teams package: no %s address: Teams shows it in the app's details", a.what)
		}
		if p, err := url.Parse(a.url); err != nil || p.Scheme != "https" || p.Host == "" {
			return fmt.Errorf("teams package: the %s address %q is not an https address", a.what, a.url)
		}
	}
	return nil
}

type manifest struct {
	Schema            string             `json:"$schema"`
	ManifestVersion   string             `json:"manifestVersion"`
	Version           string             `json:"version"`
	ID                string             `json:"id"`
	Developer         developer          `json:"developer"`
	Name              nameDesc           `json:"name"`
	Description       nameDesc           `json:"description"`
	Icons             icons              `json:"icons"`
	AccentColor       string             `json:"accentColor"`
	Bots              []manifestBot      `json:"bots"`
	ComposeExtensions []composeExtension `json:"composeExtensions"`
	Permissions       []string           `json:"permissions"`
	ValidDomains      []string           `json:"validDomains"`
}

type developer struct {
	Name          string `json:"name"`
	WebsiteURL    string `json:"websiteUrl"`
	PrivacyURL    string `json:"privacyUrl"`
	TermsOfUseURL string `json:"termsOfUseUrl"`
}

type nameDesc struct {
	Short string `json:"short"`
	Full  string `json:"full"`
}

type icons struct {
	Color   string `json:"color"`
	Outline string `json:"outline"`
}

type manifestBot struct {
	BotID              string        `json:"botId"`
	Scopes             []string      `json:"scopes"`
	SupportsFiles      bool          `json:"supportsFiles"`
	IsNotificationOnly bool          `json:"isNotificationOnly"`
	CommandLists       []commandList `json:"commandLists"`
}

type commandList struct {
	Scopes   []string     `json:"scopes"`
	Commands []botCommand `json:"commands"`
}

type botCommand struct {
	Title       string `json:"title"`
	Description string `json:"description"`
}

type composeExtension struct {
	BotID    string           `json:"botId"`
	Commands []composeCommand `json:"commands"`
}

type composeCommand struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	InitialRun  bool           `json:"initialRun"`
	Context     []string       `json:"context"`
	Parameters  []composeParam `json:"parameters"`
}

type composeParam struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Description string `json:"description"`
	InputType   string `json:"inputType"`
}

// Manifest returns the Teams app manifest (manifest.json): a bot for
// personal chats, teams and group chats with the help, table and list
// commands, and the search messaging extension.
func Manifest(o PackageOptions) ([]byte, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	scopes := []string{"personal", "team", "groupChat"}
	m := manifest{
		Schema: ManifestSchema, ManifestVersion: ManifestVersion, Version: o.Version, ID: o.AppID,
		Developer: developer{Name: o.Developer, WebsiteURL: o.WebsiteURL, PrivacyURL: o.PrivacyURL, TermsOfUseURL: o.TermsURL},
		Name:      nameDesc{Short: o.Name, Full: o.Name + ": who is responsible under Microsoft Managed Desktop"},
		Description: nameDesc{
			Short: "Who is responsible for this under Microsoft Managed Desktop?",
			Full: "Ask who is responsible for something under Microsoft Managed Desktop (MMD): Microsoft, your organisation, or both. " +
				"Mention the bot in a channel or group chat (@" + o.Name + " who handles VPN issues?), or ask it in a personal chat. " +
				"It answers with the owner, what each side does, and the Microsoft Learn page. " +
				"Type table for every responsibility, or list microsoft, list customer or list shared. " +
				"The search in the message box finds a responsibility and inserts its card into a conversation.",
		},
		Icons:       icons{Color: "color.png", Outline: "outline.png"},
		AccentColor: fmt.Sprintf("#%02X%02X%02X", accent.R, accent.G, accent.B),
		Bots: []manifestBot{{
			BotID: o.AppID, Scopes: scopes,
			CommandLists: []commandList{{Scopes: scopes, Commands: []botCommand{
				{Title: "help", Description: "What I can do"},
				{Title: "table", Description: "Every responsibility, grouped by owner"},
				{Title: "list", Description: "The responsibilities of one owner: list microsoft, list customer or list shared"},
			}}},
		}},
		ComposeExtensions: []composeExtension{{
			BotID: o.AppID,
			Commands: []composeCommand{{
				ID: SearchCommand, Type: "query", Title: "Search", InitialRun: true,
				Description: "Find who is responsible for something and share its card",
				Context:     []string{"compose", "commandBox"},
				Parameters: []composeParam{{Name: searchParameter, Title: "Responsibility",
					Description: "A topic, such as VPN or printing", InputType: "text"}},
			}},
		}},
		Permissions:  []string{"identity", "messageTeamMembers"},
		ValidDomains: []string{},
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("teams package: encode manifest: %w", err)
	}
	return b.Bytes(), nil
}

// packageTime is the time stamp of the package's files, fixed so that the
// same options always make the same package.
var packageTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// WritePackage writes the Teams app package, a zip of manifest.json,
// color.png and outline.png, to w.
func WritePackage(w io.Writer, o PackageOptions) error {
	m, err := Manifest(o)
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data func() ([]byte, error)
	}{
		{"manifest.json", func() ([]byte, error) { return m, nil }},
		{"color.png", func() ([]byte, error) { return encodePNG(ColorIcon()) }},
		{"outline.png", func() ([]byte, error) { return encodePNG(OutlineIcon()) }},
	}
	zw := zip.NewWriter(w)
	for _, f := range files {
		data, err := f.data()
		if err != nil {
			return fmt.Errorf("teams package: %s: %w", f.name, err)
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: packageTime})
		if err != nil {
			return fmt.Errorf("teams package: %s: %w", f.name, err)
		}
		if _, err := fw.Write(data); err != nil {
			return fmt.Errorf("teams package: %s: %w", f.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("teams package: %w", err)
	}
	return nil
}

func encodePNG(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// person reports whether the point (x, y) of the unit square lies in the
// icon's figure: a person, head and shoulders, for "who".
func person(x, y float64) bool {
	sq := func(v float64) float64 { return v * v }
	// Head.
	if sq(x-0.5)+sq(y-0.31) <= sq(0.17) {
		return true
	}
	// Shoulders: the top of an ellipse, cut flat at the bottom.
	if y >= 0.55 && y <= 0.9 && sq((x-0.5)/0.33)+sq((y-0.92)/0.36) <= 1 {
		return true
	}
	return false
}

// draw renders figure over background in a size×size image, the figure
// scaled into the middle of the square (scale 1 fills it), with 4×4
// supersampling for smooth edges.
func draw(size int, scale float64, fg, bg color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const ss = 4
	for py := range size {
		for px := range size {
			hits := 0
			for sy := range ss {
				for sx := range ss {
					x := (float64(px) + (float64(sx)+0.5)/ss) / float64(size)
					y := (float64(py) + (float64(sy)+0.5)/ss) / float64(size)
					if person((x-0.5)/scale+0.5, (y-0.5)/scale+0.5) {
						hits++
					}
				}
			}
			c := float64(hits) / ss / ss
			mix := func(a, b uint8) uint8 { return uint8(float64(a)*c + float64(b)*(1-c) + 0.5) }
			if bg.A == 0 {
				img.SetNRGBA(px, py, color.NRGBA{fg.R, fg.G, fg.B, uint8(c*255 + 0.5)})
			} else {
				img.SetNRGBA(px, py, color.NRGBA{mix(fg.R, bg.R), mix(fg.G, bg.G), mix(fg.B, bg.B), 255})
			}
		}
	}
	return img
}

// ColorIcon is the app's colour icon: a white figure on mmdbot's accent
// colour, 192×192.
func ColorIcon() image.Image {
	return draw(ColorIconSize, 0.72, color.NRGBA{255, 255, 255, 255}, accent)
}

// OutlineIcon is the app's outline icon: the white figure on a transparent
// background, 32×32.
func OutlineIcon() image.Image {
	return draw(OutlineIconSize, 0.9, color.NRGBA{255, 255, 255, 255}, color.NRGBA{})
}
