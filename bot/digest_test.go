package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDigestHeading(t *testing.T) {
	tests := []struct {
		d    Digest
		want string
	}{
		{Digest{Unanswered: 23, People: 11, Downvoted: 4}, "Last week mmdbot could not answer 23 questions, asked by 11 people; 4 answers got a 👎."},
		{Digest{Unanswered: 1, People: 1, Downvoted: 1}, "Last week mmdbot could not answer 1 question, asked by 1 person; 1 answer got a 👎."},
		{Digest{Unanswered: 5}, "Last week mmdbot could not answer 5 questions."},
		{Digest{Unanswered: 2, People: 2}, "Last week mmdbot could not answer 2 questions, asked by 2 people."},
		{Digest{Downvoted: 3}, "Last week mmdbot answered every question, but 3 answers got a 👎."},
		{Digest{}, "Last week mmdbot answered every question."},
	}
	for _, tt := range tests {
		if got := DigestHeading(tt.d); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestDigestRowLine(t *testing.T) {
	tests := []struct {
		r    DigestRow
		want string
	}{
		{DigestRow{Question: "who runs payroll?", Count: 5, People: 3}, "“who runs payroll?” — 5 times, by 3 people"},
		{DigestRow{Question: "  who\nruns\tpayroll? ", Count: 1, People: 1}, "“who runs payroll?” — once, by 1 person"},
		{DigestRow{Question: "who fixes printers?", Count: 2, People: 2, Entry: "Printing"}, "“who fixes printers?” — 👎 on Printing, 2 times, by 2 people"},
		{DigestRow{Question: "vpn", Count: 4}, "“vpn” — 4 times"},
	}
	for _, tt := range tests {
		if got := tt.r.Line(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.r, got, tt.want)
		}
	}
	long := DigestRow{Question: strings.Repeat("é", 500), Count: 2}.Line()
	if n := len([]rune(long)); n > maxDigestQuestion+20 || !strings.Contains(long, "…”") {
		t.Errorf("a long question is not cut: %d characters, %q", n, long[len(long)-30:])
	}
}

func TestDigestPeriod(t *testing.T) {
	at := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 0, 0, 0, time.UTC) }
	for _, tt := range []struct {
		since, until time.Time
		want         string
	}{
		{at(2026, 11, 30), at(2026, 12, 7), "30 November – 7 December 2026"},
		{at(2026, 12, 28), at(2027, 1, 4), "28 December 2026 – 4 January 2027"},
		{at(2026, 12, 7), at(2026, 12, 7), "7 December 2026"},
		{time.Time{}, at(2026, 12, 7), ""},
	} {
		if got := DigestPeriod(tt.since, tt.until); got != tt.want {
			t.Errorf("%v – %v: %q, want %q", tt.since, tt.until, got, tt.want)
		}
	}
}

// TestNewDigest: the rows come most asked first, at most MaxDigestRows of
// them; the heading is the reply's text and summary; an address that is
// not http(s) gives no link.
func TestNewDigest(t *testing.T) {
	d := Digest{Unanswered: 40, People: 9, URL: "javascript:alert(1)"}
	for i := range 8 {
		d.Top = append(d.Top, DigestRow{Question: fmt.Sprintf("question %d", i), Count: i + 1})
	}
	r := NewDigest(d)
	if r.Kind != KindDigest || r.Intent != IntentDigest || r.Digest == nil {
		t.Fatalf("reply %+v", r)
	}
	if len(r.Digest.Top) != MaxDigestRows || r.Digest.Top[0].Count != 8 || r.Digest.Top[4].Count != 4 {
		t.Errorf("rows %+v", r.Digest.Top)
	}
	if d.Top[0].Count != 1 {
		t.Error("NewDigest changed the rows it was given")
	}
	if r.Digest.URL != "" {
		t.Errorf("link to %q", r.Digest.URL)
	}
	want := "Last week mmdbot could not answer 40 questions, asked by 9 people."
	if r.Text != want || r.Summary() != want || r.Sentence() != want {
		t.Errorf("text %q, summary %q, sentence %q", r.Text, r.Summary(), r.Sentence())
	}
	if r := NewDigest(Digest{URL: "https://mmd.example.com/admin"}); r.Digest.URL != "https://mmd.example.com/admin" {
		t.Errorf("link to %q", r.Digest.URL)
	}
}
