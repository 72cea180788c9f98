package knowledge

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"sync"
	"unicode/utf8"
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

// englishBy is the English words by first letter and length, for finding
// the ordinary words near a misspelling.
var englishBy = sync.OnceValue(func() map[dictKey][]string {
	by := map[dictKey][]string{}
	for w := range englishSet() {
		first, _ := utf8.DecodeRuneInString(w)
		k := dictKey{first, utf8.RuneCountInString(w)}
		by[k] = append(by[k], w)
	}
	return by
})
