package classify

// stem strips common English inflectional and derivational suffixes from
// a lowercase ASCII word, in place, so that "translate", "translated",
// "translating" and "translation" share a feature. It is a light,
// Porter-like stemmer: it conflates more than it splits, which suits a
// small training corpus, and its output need not be a word. It runs for
// every word, so the suffix rules are dispatched on the last byte.
func stem(w []byte) []byte {
	if len(w) <= 3 {
		return w
	}
	// Plurals and third persons.
	if w[len(w)-1] == 's' {
		switch {
		case ends(w, "sses"):
			w = w[:len(w)-2]
		case ends(w, "ies") && len(w) > 4:
			w = append(w[:len(w)-3], 'y')
		case ends(w, "ss") || ends(w, "us") || ends(w, "is"):
		default:
			w = w[:len(w)-1]
		}
	}
	// One derivational or inflectional suffix, leaving a stem of 3+ bytes.
	var ok bool
	switch w[len(w)-1] {
	case 'n':
		if w, ok = replace(w, "ization", "ize"); !ok {
			if w, ok = replace(w, "ation", "ate"); !ok {
				if w, ok = replace(w, "ition", "ite"); !ok {
					w, _ = replace(w, "ion", "")
				}
			}
		}
	case 'l':
		if w, ok = replace(w, "ational", "ate"); !ok {
			w = stripAl(w)
		}
	case 't':
		w, _ = replace(w, "ment", "")
	case 's':
		if w, ok = replace(w, "ments", ""); !ok {
			w, _ = replace(w, "ness", "")
		}
	case 'y':
		if w, ok = replace(w, "ingly", ""); !ok {
			if w, ok = replace(w, "edly", ""); !ok {
				if w, ok = replace(w, "ly", ""); ok {
					w = stripAl(w) // legally → legal → leg…
				} else {
					w, _ = replace(w, "ity", "")
				}
			}
		}
	case 'g':
		w, _ = replace(w, "ing", "")
	case 'd':
		if w, ok = replace(w, "ied", "y"); !ok {
			w, _ = replace(w, "ed", "")
		}
	case 'e':
		w, _ = replace(w, "ive", "")
	case 'r':
		if w, ok = replace(w, "er", ""); !ok {
			w, _ = replace(w, "or", "")
		}
	}
	// A doubled final consonant left by -ing or -ed: running → run.
	if n := len(w); n > 3 && w[n-1] == w[n-2] && !isVowel(w[n-1]) && w[n-1] != 'l' && w[n-1] != 's' && w[n-1] != 'z' {
		w = w[:n-1]
	}
	// A final e: translate and translat(ion) agree.
	if n := len(w); n > 4 && w[n-1] == 'e' {
		w = w[:n-1]
	}
	return w
}

// ends reports whether w ends with suffix.
func ends(w []byte, suffix string) bool {
	return len(w) >= len(suffix) && string(w[len(w)-len(suffix):]) == suffix
}

// replace replaces w's suffix with repl, which is no longer, if w ends
// with suffix and at least 3 bytes precede it.
func replace(w []byte, suffix, repl string) ([]byte, bool) {
	if len(w)-len(suffix) < 3 || !ends(w, suffix) {
		return w, false
	}
	return append(w[:len(w)-len(suffix)], repl...), true
}

// stripAl strips -al from a word that keeps 4+ bytes: clinical → clinic,
// but legal stays (not leg).
func stripAl(w []byte) []byte {
	if len(w) >= 6 && ends(w, "al") {
		return w[:len(w)-2]
	}
	return w
}

func isVowel(c byte) bool {
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'
}
