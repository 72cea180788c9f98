package knowledge

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"sync"
)

// englishWords is SCOWL's American and British English word lists (through
// Debian's wamerican and wbritish), lower-case words only, one a line,
// gzipped: see data/NOTICE.md.
//
//go:embed data/english-words.txt.gz
var englishWords []byte

// englishSet is the set of English words, read on first use.
var englishSet = sync.OnceValue(func() map[string]struct{} {
	zr, err := gzip.NewReader(bytes.NewReader(englishWords))
	if err != nil {
		panic("knowledge: embedded English word list: " + err.Error())
	}
	words := make(map[string]struct{}, 70000)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		words[sc.Text()] = struct{}{}
	}
	if err := sc.Err(); err != nil {
		panic("knowledge: embedded English word list: " + err.Error())
	}
	return words
})

// isEnglish reports whether w, lower case, is an English word: such a word is
// never taken for a misspelling of another.
func isEnglish(w string) bool {
	_, ok := englishSet()[w]
	return ok
}
