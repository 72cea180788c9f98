package bot

// ActionKind says what a button asks the bot to do.
type ActionKind string

// The actions a reply can offer. Every renderer maps them to its own
// buttons (Block Kit buttons, Action.Submit, links) and every adapter hands
// a pressed one back to Bot.Act.
const (
	// ActShow shows one entry: a "did you mean" choice or a table row. ID
	// is the entry, Question the question the choice answers.
	ActShow ActionKind = "show"
	// ActAsk asks a question again, as if typed: Text.
	ActAsk ActionKind = "ask"
	// ActRun runs a command of the help ("table", "help"): Text.
	ActRun ActionKind = "run"
	// ActVote records a 👍 (Up) or 👎 on the answer ID gave to Question:
	// one vote per person per answer, a later one replacing it; with Undo
	// it takes the person's vote back.
	ActVote ActionKind = "vote"
	// ActShare posts an answer only its asker saw for everyone in the
	// conversation: Text is what to run again, Question the question it
	// answers.
	ActShare ActionKind = "share"
)

// Action is one button of a reply: what it does, what it says, and what it
// carries back when pressed.
type Action struct {
	Kind ActionKind
	// Label is the button's words.
	Label string
	// ID is the entry shown or voted on.
	ID string
	// Text is the question or command asked, run or shared.
	Text string
	// Question is the question the reply answered, kept so that a vote or
	// a choice is recorded against it.
	Question string
	// Up is a 👍 (true) or a 👎.
	Up bool
	// Undo takes a vote back (ActVote).
	Undo bool
}

// The labels of the actions the bot offers.
const (
	labelUp    = "👍 Helpful"
	labelDown  = "👎 Not helpful"
	labelUndo  = "Undo"
	labelTable = "Show the table"
	labelHelp  = "Help"
	// ShareLabel is the label of the button that shares a private answer,
	// which the adapters that answer privately add.
	ShareLabel = "Share in channel"
	// DetailsLabel is the label of a table row's button, where a row has one.
	DetailsLabel = "Details"
)

// Show is the action that shows an entry, labelled with its title.
func Show(id, title, question string) Action {
	return Action{Kind: ActShow, Label: title, ID: id, Question: question}
}

// Share is the action that shares an answer privately given to text,
// which answered question.
func Share(text, question string) Action {
	return Action{Kind: ActShare, Label: ShareLabel, Text: text, Question: question}
}

// votes are the 👍 and 👎 of an answer.
func votes(id, question string) []Action {
	return []Action{
		{Kind: ActVote, Label: labelUp, ID: id, Question: question, Up: true},
		{Kind: ActVote, Label: labelDown, ID: id, Question: question},
	}
}

// undo is the action that takes back a vote on the answer id gave to
// question.
func undo(id, question string) Action {
	return Action{Kind: ActVote, Label: labelUndo, ID: id, Question: question, Undo: true}
}

// runTable and runHelp run the table and the help.
var (
	runTable = Action{Kind: ActRun, Label: labelTable, Text: "table"}
	runHelp  = Action{Kind: ActRun, Label: labelHelp, Text: "help"}
)
