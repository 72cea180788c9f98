package slack

import (
	"os"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestManifest: the app manifest asks for what the adapter uses, and no
// more.
func TestManifest(t *testing.T) {
	data, err := os.ReadFile("manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			AppHome struct {
				Home     bool `yaml:"home_tab_enabled"`
				Messages bool `yaml:"messages_tab_enabled"`
				ReadOnly bool `yaml:"messages_tab_read_only_enabled"`
			} `yaml:"app_home"`
			BotUser struct {
				Name string `yaml:"display_name"`
			} `yaml:"bot_user"`
			Commands []struct {
				Command string `yaml:"command"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				Bot []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled bool `yaml:"is_enabled"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	slices.Sort(m.OAuth.Scopes.Bot)
	slices.Sort(m.Settings.Events.Bot)
	if want := []string{"app_mentions:read", "chat:write", "commands", "im:history"}; !slices.Equal(m.OAuth.Scopes.Bot, want) {
		t.Errorf("bot scopes %q, want %q", m.OAuth.Scopes.Bot, want)
	}
	if want := []string{"app_home_opened", "app_mention", "message.im"}; !slices.Equal(m.Settings.Events.Bot, want) {
		t.Errorf("bot events %q, want %q", m.Settings.Events.Bot, want)
	}
	if len(m.Features.Commands) != 1 || m.Features.Commands[0].Command != "/mmd" {
		t.Errorf("slash commands %+v, want /mmd", m.Features.Commands)
	}
	if !m.Settings.SocketMode || !m.Settings.Interactivity.Enabled {
		t.Errorf("socket mode %v, interactivity %v: both must be on", m.Settings.SocketMode, m.Settings.Interactivity.Enabled)
	}
	if a := m.Features.AppHome; !a.Home || !a.Messages || a.ReadOnly || m.Features.BotUser.Name == "" {
		t.Errorf("app home %+v, bot user %q: the Home tab and writable DMs must be on", a, m.Features.BotUser.Name)
	}
}
