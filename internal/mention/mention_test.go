package mention

import "testing"

func TestStrip(t *testing.T) {
	tests := []struct{ in, want string }{
		{"@mmd who handles VPN issues?", "who handles VPN issues?"},
		{"<@U024BE7LH> who fixes the proxy?", "who fixes the proxy?"},
		{"<@U024BE7LH|mmd> thanks!", "thanks!"},
		{"<at>mmd</at> is identity on us?", "is identity on us?"},
		{"<at>MMD Bot</at>   hi", "hi"},
		{"hey <!here> <#C123|general> printers?", "hey printers?"},
		{"mail me at a@b.com", "mail me at a@b.com"},
		{"who fixes printers & <https://intranet.example/p|the print page>?", "who fixes printers & the print page ?"},
		{"see <https://intranet.example/p> vpn", "see vpn"},
		{"<mailto:it@example.com|it@example.com> owns printing", "it@example.com owns printing"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Strip(tt.in); got != tt.want {
			t.Errorf("Strip(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
