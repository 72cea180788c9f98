package teams

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/mmdbot/mmdbot/bot"
	"github.com/mmdbot/mmdbot/internal/jsonout"
)

// The search messaging extension, as the app manifest declares it.
const (
	// SearchCommand is the id of the extension's search command.
	SearchCommand = "searchQuery"
	// searchParameter is the name of its one parameter.
	searchParameter = "searchQuery"
	// searchResults is how many results are listed when Teams does not say.
	searchResults = 10
	// maxSearchResults is the most Teams shows.
	maxSearchResults = 25
	// maxSearchText bounds the text searched.
	maxSearchText = 200
)

// invokeResponse is what answers a composeExtension invoke, in the HTTP body.
type invokeResponse struct {
	ComposeExtension composeResult `json:"composeExtension"`
}

type composeResult struct {
	Type             string              `json:"type"`
	AttachmentLayout string              `json:"attachmentLayout"`
	Attachments      []composeAttachment `json:"attachments"`
}

// composeAttachment is a search result: the card inserted when chosen, and
// the preview listed.
type composeAttachment struct {
	ContentType string  `json:"contentType"`
	Content     any     `json:"content"`
	Preview     preview `json:"preview"`
}

type preview struct {
	ContentType string        `json:"contentType"`
	Content     thumbnailCard `json:"content"`
}

type thumbnailCard struct {
	Title string `json:"title"`
	Text  string `json:"text,omitempty"`
}

// invoke answers an invoke activity in the HTTP response body.
func (a *Adapter) invoke(ctx context.Context, w http.ResponseWriter, r *http.Request, act *incoming) {
	switch act.Name {
	case "composeExtension/query":
		var q searchQuery
		if err := json.Unmarshal(act.Value, &q); err != nil {
			a.refuse(ctx, w, r, refusal{http.StatusBadRequest, "activity", err})
			return
		}
		jsonout.Respond(w, http.StatusOK, a.search(ctx, act, q), false)
	case "composeExtension/selectItem":
		s, _ := act.submitted()
		res := invokeResponse{composeResult{Type: "result", AttachmentLayout: "list", Attachments: []composeAttachment{}}}
		if rep, err := a.bot.Act(ctx, act.message("", bot.ViaSearch), bot.Action{Kind: bot.ActShow, ID: s.ID}); err == nil && rep.Kind == bot.KindAnswer {
			res.ComposeExtension.Attachments = append(res.ComposeExtension.Attachments, result(rep))
		}
		jsonout.Respond(w, http.StatusOK, res, false)
	case "adaptiveCard/action":
		a.cardAction(ctx, w, act)
	default:
		// As the Bot Framework SDKs answer invokes they do not handle.
		w.WriteHeader(http.StatusNotImplemented)
	}
}

// cardInvoke is the value of an adaptiveCard/action invoke: the
// Action.Execute pressed.
type cardInvoke struct {
	Action struct {
		Type string     `json:"type"`
		Verb string     `json:"verb"`
		Data submission `json:"data"`
	} `json:"action"`
}

// cardResponse answers an adaptiveCard/action invoke: a card that replaces
// the one pressed, or a message (Universal Actions' response format).
type cardResponse struct {
	StatusCode int    `json:"statusCode"`
	Type       string `json:"type"`
	Value      any    `json:"value"`
}

// cardAction answers the press of an Action.Execute button (a vote) with
// the card that takes the pressed one's place: the answer with the vote
// acknowledged and an undo, or the 👍/👎 again after an undo.
func (a *Adapter) cardAction(ctx context.Context, w http.ResponseWriter, act *incoming) {
	var v cardInvoke
	if err := json.Unmarshal(act.Value, &v); err != nil || v.Action.Verb != voteVerb {
		jsonout.Respond(w, http.StatusOK, cardResponse{StatusCode: http.StatusBadRequest, Type: "application/vnd.microsoft.error",
			Value: map[string]string{"code": "BadRequest", "message": "That button is not one of mmd's."}}, false)
		return
	}
	r, err := a.bot.Act(ctx, act.message("", bot.ViaButton), v.Action.Data.action())
	if err != nil || r.Kind != bot.KindAnswer {
		msg := r.Text
		if err != nil {
			msg = "That button cannot be read."
		}
		jsonout.Respond(w, http.StatusOK, cardResponse{StatusCode: http.StatusOK, Type: "application/vnd.microsoft.activity.message", Value: msg}, false)
		return
	}
	jsonout.Respond(w, http.StatusOK, cardResponse{StatusCode: http.StatusOK, Type: CardContentType, Value: RenderCards(r)[0]}, false)
}

// search lists the entries the bot finds for what is typed in the
// extension's box, the page of them Teams asks for.
func (a *Adapter) search(ctx context.Context, act *incoming, q searchQuery) invokeResponse {
	typed, _ := q.text()
	if len([]rune(typed)) > maxSearchText {
		typed = string([]rune(typed)[:maxSearchText])
	}
	n := q.QueryOptions.Count
	if n <= 0 {
		n = searchResults
	}
	n = min(n, maxSearchResults)
	skip := max(q.QueryOptions.Skip, 0)
	found := a.bot.Search(ctx, act.message(typed, bot.ViaSearch), skip+n)
	res := invokeResponse{composeResult{Type: "result", AttachmentLayout: "list", Attachments: []composeAttachment{}}}
	if skip < len(found) {
		for _, r := range found[skip:] {
			res.ComposeExtension.Attachments = append(res.ComposeExtension.Attachments, result(r))
		}
	}
	return res
}

// result is one search result: the entry's card, without feedback buttons
// (the card is sent by the person who inserts it), and a preview naming the
// owner.
func result(r bot.Reply) composeAttachment {
	return composeAttachment{
		ContentType: CardContentType,
		Content:     renderCards(r, cardOptions{})[0],
		Preview: preview{ContentType: "application/vnd.microsoft.card.thumbnail",
			Content: thumbnailCard{Title: r.Answer.Entry.Title, Text: r.Answer.Entry.Owner.Label()}},
	}
}
