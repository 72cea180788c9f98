package teams

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strings"
	"unicode/utf8"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/mmdbot/mmdbot/bot"
)

// incoming is an activity as the channel sends it: msbotbuilder-go's schema,
// with the fields that schema reads too loosely or not at all read here
// instead. Mention entities keep their text and whom they mention; times
// and values stay raw (nothing here needs the times, and values are decoded
// into the type each use expects).
type incoming struct {
	schema.Activity
	Timestamp      json.RawMessage `json:"timestamp,omitempty"`
	LocalTimestamp json.RawMessage `json:"localTimestamp,omitempty"`
	Expiration     json.RawMessage `json:"expiration,omitempty"`
	ChannelData    json.RawMessage `json:"channelData,omitempty"`
	Value          json.RawMessage `json:"value,omitempty"`
	Entities       []entity        `json:"entities,omitempty"`
}

// entity is one entity of an activity; mentions say who and with what text.
type entity struct {
	Type      string                `json:"type"`
	Text      string                `json:"text,omitempty"`
	Mentioned schema.ChannelAccount `json:"mentioned,omitempty"`
}

// parseActivity reads an activity and checks what every later step relies
// on: a type, and for the activities answered, a conversation and a
// serviceUrl.
func parseActivity(data []byte) (*incoming, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("parse activity: not UTF-8")
	}
	var a incoming
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("parse activity: %w", err)
	}
	if a.Type == "" {
		return nil, errors.New("parse activity: no type")
	}
	switch a.Type {
	case schema.Message, schema.Invoke, schema.ConversationUpdate:
		if a.ServiceURL == "" || a.Conversation.ID == "" {
			return nil, errors.New("parse activity: no serviceUrl or conversation")
		}
	}
	return &a, nil
}

// question returns the text of a message with the bot's mentions removed and
// other people's mentions turned into their names, both found by the
// mention entities; mentioned says whether the bot was mentioned.
func (a *incoming) question() (q string, mentioned bool) {
	t := a.Text
	for _, e := range a.Entities {
		if !strings.EqualFold(e.Type, "mention") || e.Text == "" {
			continue
		}
		if e.Mentioned.ID != "" && e.Mentioned.ID == a.Recipient.ID {
			if strings.Contains(t, e.Text) {
				mentioned = true
				t = strings.Replace(t, e.Text, " ", 1)
			}
			continue
		}
		name := e.Mentioned.Name
		if name == "" {
			name = strings.TrimSuffix(strings.TrimPrefix(e.Text, "<at>"), "</at>")
		}
		t = strings.Replace(t, e.Text, name, 1)
	}
	t = html.UnescapeString(t)
	return strings.Join(strings.Fields(t), " "), mentioned
}

// personal reports whether the conversation is a personal (one-to-one) chat.
func (a *incoming) personal() bool {
	switch a.Conversation.ConversationType {
	case "personal":
		return true
	case "channel", "groupChat":
		return false
	}
	return !a.Conversation.IsGroup
}

// message is what the bot is told of an activity: text, who, where, how.
func (a *incoming) message(text string, via bot.Via) bot.Message {
	return bot.Message{Text: text, User: a.user(), Conversation: a.Conversation.ID, Via: via, Adapter: adapterName}
}

// user identifies who wrote: the Entra object id when there is one.
func (a *incoming) user() string {
	if a.From.AadObjectID != "" {
		return a.From.AadObjectID
	}
	return a.From.ID
}

// botAdded reports whether a conversationUpdate adds the bot.
func (a *incoming) botAdded() bool {
	for _, m := range a.MembersAdded {
		if m.ID != "" && m.ID == a.Recipient.ID {
			return true
		}
	}
	return false
}

// submitted returns the data of an Action.Submit button of mmdbot's cards,
// which arrives as the value of a message activity.
func (a *incoming) submitted() (submission, bool) {
	if len(a.Value) == 0 || string(a.Value) == "null" {
		return submission{}, false
	}
	var s submission
	if err := json.Unmarshal(a.Value, &s); err != nil || s.Action == "" {
		return submission{}, false
	}
	return s, true
}

// searchQuery is the value of a composeExtension/query invoke.
type searchQuery struct {
	CommandID  string `json:"commandId"`
	Parameters []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	} `json:"parameters"`
	QueryOptions struct {
		Skip  int `json:"skip"`
		Count int `json:"count"`
	} `json:"queryOptions"`
}

// text returns the text typed in the search box, and whether this is the
// initial run (the box opened, nothing typed yet).
func (q searchQuery) text() (string, bool) {
	for _, p := range q.Parameters {
		s, _ := p.Value.(string)
		if p.Name == "initialRun" {
			return "", true
		}
		if p.Name == searchParameter {
			return strings.TrimSpace(s), strings.TrimSpace(s) == ""
		}
	}
	return "", true
}

// outgoing is an activity the bot sends: only the fields it sets.
type outgoing struct {
	Type         string                     `json:"type"`
	From         schema.ChannelAccount      `json:"from"`
	Recipient    schema.ChannelAccount      `json:"recipient"`
	Conversation schema.ConversationAccount `json:"conversation"`
	ReplyToID    string                     `json:"replyToId,omitempty"`
	Text         string                     `json:"text,omitempty"`
	TextFormat   string                     `json:"textFormat,omitempty"`
	Summary      string                     `json:"summary,omitempty"`
	Attachments  []schema.Attachment        `json:"attachments,omitempty"`
}

// reply returns a message activity answering a.
func (a *incoming) reply() outgoing {
	return outgoing{
		Type:         string(schema.Message),
		From:         a.Recipient,
		Recipient:    a.From,
		Conversation: schema.ConversationAccount{ID: a.Conversation.ID, ConversationType: a.Conversation.ConversationType, TenantID: a.Conversation.TenantID, IsGroup: a.Conversation.IsGroup},
		ReplyToID:    a.ID,
	}
}

// cardMessage returns a reply carrying one card.
func (a *incoming) cardMessage(c Card, summary string) outgoing {
	o := a.reply()
	o.Summary = summary
	o.Attachments = []schema.Attachment{{ContentType: CardContentType, Content: c}}
	return o
}
