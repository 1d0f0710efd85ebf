package openai

// ScanString checks the JSON string literal that starts at b[i], a '"',
// as strictly as encoding/json does, and returns the index just past its
// closing quote. escaped reports backslash escapes in it, nonASCII bytes
// ≥ 0x80 (which may not be UTF-8: encoding/json accepts them and replaces
// them when it decodes). ok is false for a literal encoding/json rejects.
// It serves the stream decoders' fast paths, which read the usual chunk
// without encoding/json.
func ScanString(b []byte, i int) (end int, escaped, nonASCII, ok bool) {
	end, info, ok := scanString(b, i)
	return end, info.escaped, info.nonASCII, ok
}
