package bot

import (
	"github.com/mmdbot/mmdbot/knowledge"
)

// Via says how a message reached the bot.
type Via string

// The ways a message arrives.
const (
	ViaMention Via = "mention" // @mmd in a channel or group chat
	ViaDirect  Via = "direct"  // a direct (personal) message to the bot
	ViaCommand Via = "command" // a slash command such as /mmd
	ViaWeb     Via = "web"     // the web page or its JSON API
	ViaCLI     Via = "cli"     // the mmdbot command line
	ViaSearch  Via = "search"  // a search box listing entries as one types
	ViaButton  Via = "button"  // a button of an earlier reply
)

// Message is one incoming message, as any adapter sees it.
type Message struct {
	// Text is what the person wrote, mentions and all.
	Text string
	// User and Conversation identify who wrote and where; they may be empty.
	User         string
	Conversation string
	// Via says how the message arrived; Adapter names the adapter ("slack",
	// "teams", "web", "cli") for metrics and the unanswered report.
	Via     Via
	Adapter string
}

// Intent is what a message asks for.
type Intent string

// The intents the bot understands.
const (
	IntentAsk       Intent = "ask"       // a question about who is responsible
	IntentHelp      Intent = "help"      // help text
	IntentTable     Intent = "table"     // every entry grouped by owner
	IntentList      Intent = "list"      // the entries of one owner
	IntentShow      Intent = "show"      // one entry by id
	IntentSmallTalk Intent = "smalltalk" // greetings, thanks, "what can you do?"
	IntentSearch    Intent = "search"    // text typed in a search box (Bot.Search)
	IntentWelcome   Intent = "welcome"   // the bot meets someone (Bot.Welcome)
	IntentVote      Intent = "vote"      // a 👍 or 👎 (Bot.Act)
	IntentDigest    Intent = "digest"    // the weekly digest to the admins (NewDigest)
)

// Kind says what a Reply holds, and so how an adapter renders it.
type Kind string

// The kinds of reply.
const (
	KindAnswer  Kind = "answer"  // Answer holds the entry (and maybe Also the other side's)
	KindSuggest Kind = "suggest" // "did you mean": Alternatives hold two or three choices
	KindUnknown Kind = "unknown" // the bot does not know; point to table and help
	KindHelp    Kind = "help"    // Commands hold the help; Text may hold a greeting
	KindTable   Kind = "table"   // Groups hold the entries grouped by owner
	KindError   Kind = "error"   // Text holds a safe sentence about a bad request
	KindThanks  Kind = "thanks"  // Text thanks for a vote, and nothing else
	KindDigest  Kind = "digest"  // Digest holds the week's unanswered questions, for the admins
)

// Choice is one "did you mean" alternative.
type Choice struct {
	ID    string
	Title string
	Owner knowledge.Owner
	Score float64
}

// Group is the entries of one owner, for tables and listings.
type Group struct {
	Owner   knowledge.Owner
	Entries []*knowledge.Entry
}

// Command is one line of help: what to type and what it does.
type Command struct {
	Usage   string // words people read: "a question", "table", "show an id"
	Summary string
}

// Reply is the bot's platform-neutral answer to one Message. It says what to
// answer, never how it looks: each adapter renders it in its own format.
type Reply struct {
	Kind   Kind
	Intent Intent
	// Question is the question as understood: mentions stripped, trimmed.
	Question string
	// Band and Confidence come from the matcher for IntentAsk.
	Band       knowledge.Band
	Confidence float64

	// Answer is the best entry (KindAnswer), and Also the strong entry of the
	// other side when both Microsoft and your organisation own the topic.
	Answer *Answer
	Also   *Answer
	// Alternatives are the "did you mean" choices (KindSuggest), best first.
	Alternatives []Choice
	// Matches are the matcher's ranked candidates, best first (for JSON).
	Matches []knowledge.Match

	// Groups hold the entries of a table or listing (KindTable).
	Groups []Group
	// Commands hold the help (KindHelp, and as a pointer in KindUnknown).
	Commands []Command
	// Text is a short sentence: a greeting, an "I don't know", an error;
	// on an answer shown again after a vote (IntentVote), the thanks that
	// stands in place of its 👍/👎, with an undo as its action.
	Text string
	// Hint says, after Text, what to type next ("Type \"table\" to see
	// every responsibility…"): chat's words, which a page with links of its
	// own may leave out. Sentence joins the two.
	Hint string
	// Actions are the buttons the reply offers, in order: 👍/👎 on an
	// answer, the "did you mean" choices, the table and the help after
	// "I don't know". Renderers map each to a button of their own, or to a
	// link.
	Actions []Action

	// Source is the page the knowledge comes from (title, address, date).
	Source knowledge.Page
	// Freshness says how current that knowledge is against the published
	// page; renderers add its Sentence to the source line.
	Freshness Freshness

	// Digest is the week's questions to review (KindDigest); Text holds
	// its heading.
	Digest *Digest
}
