package knowledge

import (
	"errors"
	"fmt"
	"strings"
)

// LoadError is one problem found while loading knowledge: the file, the line
// and what is wrong.
type LoadError struct {
	File string
	Line int
	Msg  string
}

func (e *LoadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Errors is every problem found in one load. A load that returns Errors loaded
// nothing.
type Errors []*LoadError

func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// AsErrors returns the LoadErrors inside err, if any.
func AsErrors(err error) (Errors, bool) {
	var es Errors
	if errors.As(err, &es) {
		return es, true
	}
	var e *LoadError
	if errors.As(err, &e) {
		return Errors{e}, true
	}
	return nil, false
}
