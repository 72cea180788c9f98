// Package mention reads the markup chat platforms put in a message: who it
// mentions and the links it carries, as Slack and Microsoft Teams write
// them. The bot strips it from what people type before it reads a
// question, and the knowledge from the labelled examples it learns from,
// which are messages as people type them in chat.
package mention

import (
	"regexp"
	"strings"
)

var (
	slackMention = regexp.MustCompile(`<[@!#][^<>]*>`)
	slackLink    = regexp.MustCompile(`<(?:https?|mailto|tel):[^<>|]*(?:\|([^<>]*))?>`)
	teamsMention = regexp.MustCompile(`(?is)<at>.*?</at>`)
	typedMention = regexp.MustCompile(`(^|\s)@[\p{L}\p{N}_.-]+`)
)

// Strip removes mentions from a chat message: a typed "@mmd", Slack's
// "<@U024BE7LH>" (and "<!here>", "<#C…|name>"), and Teams' "<at>mmd</at>".
// Slack's link markup keeps its label: "<https://…|the wiki>" reads "the
// wiki", a bare "<https://…>" nothing. Surrounding space is tidied.
func Strip(s string) string {
	return strings.Join(strings.Fields(Remove(s)), " ")
}

// Remove is Strip leaving the spaces as they fall, for a reader that splits
// the text into words anyway. The expressions run only where their first
// character occurs.
func Remove(s string) string {
	if strings.IndexByte(s, '<') >= 0 {
		s = teamsMention.ReplaceAllString(s, " ")
		s = slackMention.ReplaceAllString(s, " ")
		s = slackLink.ReplaceAllString(s, " $1 ")
	}
	if strings.IndexByte(s, '@') >= 0 {
		s = typedMention.ReplaceAllString(s, "$1")
	}
	return s
}
