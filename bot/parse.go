package bot

import (
	"fmt"
	"strings"

	"github.com/mmdbot/mmdbot/internal/mention"
	"github.com/mmdbot/mmdbot/knowledge"
)

// IntentError is the intent of a command given wrongly ("list everyone").
const IntentError Intent = "error"

// Parsed is what Parse makes of a message.
type Parsed struct {
	Intent Intent
	// Question is the text with mentions and a leading "/mmd" stripped.
	Question string
	// Owner is the owner of IntentList; Arg the id of IntentShow.
	Owner knowledge.Owner
	Arg   string
	// Problem says what is wrong, for IntentError.
	Problem string
}

// command is one line of the declarative command table that drives both
// parsing and the help text.
type command struct {
	intent  Intent
	names   []string
	args    string
	summary string
}

var commands = []command{
	{IntentHelp, []string{"help", "commands", "usage", "?"}, "", "what I can do"},
	{IntentTable, []string{"table", "all", "matrix", "everything"}, "", "every responsibility, grouped by owner"},
	{IntentList, []string{"list", "ls"}, "microsoft, customer or shared", "the responsibilities of one owner"},
	{IntentShow, []string{"show", "entry"}, "an id", "one responsibility by its id, such as customer/printing"},
}

// Commands returns the help: every command and what it does, with asking a
// question first.
func Commands() []Command {
	out := []Command{{Usage: "a question", Summary: "who is responsible, for example \"who handles VPN issues?\""}}
	for _, c := range commands {
		u := c.names[0]
		if c.args != "" {
			u += " " + c.args
		}
		out = append(out, Command{Usage: u, Summary: c.summary})
	}
	return out
}

// Parse finds the intent of a message: mentions and a leading "/mmd" are
// stripped; a first word naming a command makes that command; greetings and
// thanks are small talk; anything else is a question.
func Parse(text string) Parsed {
	q := mention.Strip(text)
	if f := strings.Fields(q); len(f) > 0 && strings.EqualFold(f[0], "/mmd") {
		q = strings.TrimSpace(q[len(f[0]):])
	}
	p := Parsed{Intent: IntentAsk, Question: q}
	words := strings.Fields(strings.ToLower(q))
	if len(words) == 0 {
		p.Intent = IntentHelp
		return p
	}
	cmd, isCmd := parseCommand(words)
	if isCmd && cmd.Intent != IntentError {
		cmd.Question = q
		return cmd
	}
	// "show me the table, please": the same commands, asked politely.
	var plain []string
	for _, w := range words {
		if w = strings.Trim(w, ".!?,:;"); w != "" && !politeness[w] {
			plain = append(plain, w)
		}
	}
	if len(plain) > 0 && len(plain) < len(words) {
		if c, ok := parseCommand(plain); ok && c.Intent != IntentShow && c.Intent != IntentError {
			c.Question = q
			return c
		}
	}
	if isCmd {
		cmd.Question = q
		return cmd
	}
	if isSmallTalk(words) {
		p.Intent = IntentSmallTalk
	}
	return p
}

// politeness holds the words around a command that do not change it.
var politeness = setOf("please pls plz can could would you show me us give display see the a full whole entire complete all of your responsibilities responsibility roles entries ones list's")

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// parseCommand reads words as a command of the command table.
func parseCommand(words []string) (Parsed, bool) {
	first := strings.Trim(words[0], ".!,:;")
	if first == "" {
		first = words[0]
	}
	rest := words[1:]
	for _, c := range commands {
		if !contains(c.names, first) {
			continue
		}
		switch c.intent {
		case IntentHelp, IntentTable:
			if len(rest) == 0 {
				return Parsed{Intent: c.intent}, true
			}
		case IntentList:
			if len(rest) == 0 {
				return Parsed{Intent: IntentTable}, true
			}
			if len(rest) <= 2 {
				arg := strings.TrimSuffix(strings.TrimSuffix(strings.Join(rest, " "), "'s"), "’s")
				o, err := knowledge.ParseOwner(arg)
				if err != nil {
					return Parsed{Intent: IntentError, Problem: fmt.Sprintf("\"list\" takes microsoft, customer or shared, not %q.", strings.Join(rest, " "))}, true
				}
				return Parsed{Intent: IntentList, Owner: o}, true
			}
		case IntentShow:
			if len(rest) == 1 {
				return Parsed{Intent: IntentShow, Arg: rest[0]}, true
			}
		}
	}
	return Parsed{}, false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// smallTalk holds the words of greetings, thanks and questions about the bot.
var smallTalk = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`hi hello hey hiya howdy yo heya greetings morning afternoon evening good
	thanks thank thx ty cheers ta appreciated appreciate much lot so very again a you u great awesome nice cool perfect ok okay
	what can do who are how does work help me bot mmd mmdbot there all everyone folks team dear
	bye goodbye later see ya cya night`) {
		smallTalk[w] = true
	}
}

// isSmallTalk reports whether every word of a message is greeting, thanks or
// "what can you do?", and it contains at least one greeting or thanks word.
func isSmallTalk(words []string) bool {
	social := false
	n := 0
	for _, w := range knowledge.Tokens(strings.Join(words, " ")) {
		n++
		if !smallTalk[w] {
			return false
		}
		switch w {
		case "hi", "hello", "hey", "hiya", "howdy", "yo", "heya", "greetings", "morning", "afternoon", "evening",
			"thanks", "thank", "thx", "ty", "cheers", "ta", "bye", "goodbye", "can", "are", "work":
			social = true
		}
	}
	return n > 0 && social
}

// smallTalkReply is the social part of the answer to small talk: the help
// that follows says what the bot does, so the greeting does not.
func smallTalkReply(q string) string {
	t := knowledge.Tokens(q)
	for _, w := range t {
		switch w {
		case "thanks", "thank", "thx", "ty", "cheers", "ta", "appreciated", "appreciate":
			return "You're welcome! Ask me again any time."
		case "bye", "goodbye", "later", "cya", "night":
			return "Bye for now!"
		}
	}
	for _, w := range t {
		if w == "can" || w == "are" || w == "work" {
			// "What can you do?": the help is the whole answer.
			return ""
		}
	}
	return "Hello!"
}
