package classify

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
)

// maxFeatures caps the model's vocabulary so that the set of features
// already counted for a prompt fits a fixed bitmap on the stack.
const maxFeatures = 1 << 14

// example is one labelled prompt of the training corpus or the evaluation
// set: one JSON object per line.
type example struct {
	Category Category `json:"category"`
	Prompt   string   `json:"prompt"`
}

// parseExamples decodes JSON Lines of examples, refusing unknown categories
// and empty prompts.
func parseExamples(data []byte) ([]example, error) {
	var out []example
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var ex example
		if err := json.Unmarshal(sc.Bytes(), &ex); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if !Valid(string(ex.Category)) {
			return nil, fmt.Errorf("line %d: unknown category %q", line, ex.Category)
		}
		if len(bytes.TrimSpace([]byte(ex.Prompt))) == 0 {
			return nil, fmt.Errorf("line %d: empty prompt", line)
		}
		out = append(out, ex)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// parseLexicon decodes the lexicon: "[category]" lines, each followed by
// comma-separated terms; "#" starts a comment line. Each term is returned
// as an example of its category.
func parseLexicon(data string) ([]example, error) {
	var out []example
	var cat Category
	for i, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			c, ok := Parse(line[1 : len(line)-1])
			if !ok {
				return nil, fmt.Errorf("line %d: unknown category %s", i+1, line)
			}
			cat = c
		case cat == "":
			return nil, fmt.Errorf("line %d: term before any [category]", i+1)
		default:
			for term := range strings.SplitSeq(line, ",") {
				if term = strings.TrimSpace(term); term != "" {
					out = append(out, example{Category: cat, Prompt: term})
				}
			}
		}
	}
	return out, nil
}

// params are the model's hyperparameters.
type params struct {
	alpha     float64 // additive (Laplace/Lidstone) smoothing
	minDocs   float64 // a feature must occur in at least this many training prompts (lexicon terms count lexWeight)
	otherBias float64 // added to Other's log score: the prior toward Other
	lexWeight float64 // how many training prompts a lexicon term counts as
}

// defaultParams were chosen by 5-fold cross-validation on the training
// corpus alone (TestTune); TestCrossValidation reports their accuracy.
var defaultParams = params{alpha: 0.5, minDocs: 1, otherBias: 1, lexWeight: 8}

// model is a multinomial naive Bayes model over binarized features: each
// distinct feature of a prompt counts once. It is immutable once built.
type model struct {
	// An open-addressing hash table from feature hash to row, probed
	// linearly; a zero key is an empty slot.
	mask uint64
	keys []uint64
	rows []int32
	// w holds each row's log-likelihood per category, numCategories
	// values per row.
	w     []float32
	prior [numCategories]float32
}

// train builds a model from labelled prompts and lexicon terms.
func train(prompts, lexicon []example, p params) *model {
	stop := stopHashes()
	df := map[uint64]*[numCategories]float64{}
	doc := map[uint64]struct{}{}
	count := func(ex example, weight float64) {
		c := ex.Category.index()
		clear(doc)
		eachFeature(ex.Prompt, func(h uint64) { doc[h] = struct{}{} })
		for h := range doc {
			if _, ok := stop[h]; ok {
				continue
			}
			counts := df[h]
			if counts == nil {
				counts = new([numCategories]float64)
				df[h] = counts
			}
			counts[c] += weight
		}
	}
	for _, ex := range prompts {
		count(ex, 1)
	}
	for _, ex := range lexicon {
		count(ex, p.lexWeight)
	}

	type feature struct {
		hash  uint64
		total float64
	}
	var kept []feature
	for h, counts := range df {
		var total float64
		for _, n := range counts {
			total += n
		}
		if total >= p.minDocs {
			kept = append(kept, feature{h, total})
		}
	}
	// Most frequent first, then by hash: deterministic whatever the map order.
	slices.SortFunc(kept, func(a, b feature) int {
		return cmp.Or(cmp.Compare(b.total, a.total), cmp.Compare(a.hash, b.hash))
	})
	if len(kept) > maxFeatures {
		kept = kept[:maxFeatures]
	}

	var classTotal [numCategories]float64
	for _, f := range kept {
		for c, n := range df[f.hash] {
			classTotal[c] += n
		}
	}
	size := 1
	for size < 2*len(kept) {
		size <<= 1
	}
	m := &model{
		mask: uint64(size - 1),
		keys: make([]uint64, size),
		rows: make([]int32, size),
		w:    make([]float32, len(kept)*numCategories),
	}
	v := float64(len(kept))
	for row, f := range kept {
		m.insert(f.hash, int32(row))
		for c, n := range df[f.hash] {
			m.w[row*numCategories+c] = float32(math.Log((n + p.alpha) / (classTotal[c] + p.alpha*v)))
		}
	}
	m.prior[Other.index()] = float32(p.otherBias)
	return m
}

func (m *model) insert(h uint64, row int32) {
	for i := h & m.mask; ; i = (i + 1) & m.mask {
		if m.keys[i] == 0 {
			m.keys[i], m.rows[i] = h, row
			return
		}
	}
}

// lookup returns h's row, or -1 if h is not in the vocabulary.
func (m *model) lookup(h uint64) int32 {
	for i := h & m.mask; ; i = (i + 1) & m.mask {
		switch m.keys[i] {
		case h:
			return m.rows[i]
		case 0:
			return -1
		}
	}
}

// scores returns each category's log score for a text's head and tail
// (as cut returns them) and the number of distinct known features they
// have.
func (m *model) scores(head, tail string) (s [numCategories]float32, known int) {
	var seen [maxFeatures / 64]uint64
	eachFeatureOf(head, tail, func(h uint64) {
		r := m.lookup(h)
		if r < 0 || seen[r>>6]&(1<<(r&63)) != 0 {
			return
		}
		seen[r>>6] |= 1 << (r & 63)
		known++
		row := m.w[int(r)*numCategories : int(r)*numCategories+numCategories]
		for c := range s {
			s[c] += row[c]
		}
	})
	for c := range s {
		s[c] += m.prior[c]
	}
	return s, known
}

// classify returns text's most likely category; Other if no feature of
// text is known.
func (m *model) classify(text string) Category {
	return m.classifyCut(cut(text))
}

// classifyCut is classify of the parts cut returned.
func (m *model) classifyCut(head, tail string) Category {
	s, known := m.scores(head, tail)
	if known == 0 {
		return Other
	}
	best := 0
	for c := 1; c < numCategories; c++ {
		if s[c] > s[best] {
			best = c
		}
	}
	return categories[best]
}

// stopWords carry no topic; they are left out as single words but kept in
// word pairs ("in character", "to spanish"). The function words of other
// languages are here too: most foreign text in the training corpus is in
// translation requests, and without this a prompt merely written in
// Spanish or German would lean to Translation.
const stopWords = `a an the and or but if of to in on at by for with from as is are was
were be been being am do does did have has had i me my we our you your he she it its they
them their this that these those there here what which who whom how why when where can
could would should will shall may might must not no so than too very just also about into
up out over then some any all each please
de la el los las un una y o que en por para con es del al lo se mi su como pero más muy
le les des du et ou est une dans pour avec sur qui ce pas je tu il nous vous mon ma
der das den dem des ein eine und oder ist sind ich du er sie wir ihr mit von zu im
auf für nicht es mein dein wie was
il lo gli di da che per con non è sono mio
o os as um uma com não é meu minha
и в не на я что с по как это но он она мы вы ты у к за из`

// stopHashes returns the feature hashes of stopWords.
func stopHashes() map[uint64]struct{} {
	set := map[uint64]struct{}{}
	for w := range strings.FieldsSeq(stopWords) {
		eachFeature(w, func(h uint64) { set[h] = struct{}{} })
	}
	return set
}
