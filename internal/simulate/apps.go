package simulate

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
)

// App is a synthetic application the simulator sends traffic as: its
// requests carry its URL as HTTP-Referer and its name as X-Title, and a
// private app's also carry X-Switchyard-Private: true.
type App struct {
	Name    string
	URL     string
	Private bool
	// Mix weighs the task categories of the app's prompts.
	Mix map[string]int
	// system is the system prompt the app sends first, if any.
	system string
}

// archetypes are the apps a run draws from, most popular first.
func archetypes() []App {
	return []App{
		{Name: "CodePilot", Mix: map[string]int{"programming": 8, "technology": 2},
			system: "You are a senior software engineer. Answer with working code and a short explanation."},
		{Name: "ChatNook", Mix: map[string]int{"other": 4, "trivia": 2, "programming": 1, "roleplay": 1, "marketing": 1,
			"marketing/seo": 1, "technology": 1, "science": 1, "translation": 1, "legal": 1, "finance": 1, "health": 1, "academia": 1}},
		{Name: "TaleForge", Mix: map[string]int{"roleplay": 9, "other": 1},
			system: "You are an immersive storyteller. Never break character unless asked."},
		{Name: "AdCraft", Mix: map[string]int{"marketing": 6, "marketing/seo": 3, "other": 1}},
		{Name: "MediMemo", Private: true, Mix: map[string]int{"health": 9, "science": 1},
			system: "You are a careful health assistant. You do not diagnose; you say when to see a doctor."},
		{Name: "LinguaBridge", Mix: map[string]int{"translation": 9, "other": 1}},
		{Name: "GadgetGuru", Mix: map[string]int{"technology": 7, "programming": 2, "trivia": 1}},
		{Name: "StudyBuddy", Mix: map[string]int{"academia": 5, "science": 4, "trivia": 1}},
		{Name: "RankRiser", Mix: map[string]int{"marketing/seo": 8, "marketing": 2}},
		{Name: "LexiDraft", Private: true, Mix: map[string]int{"legal": 9, "finance": 1},
			system: "You are a legal drafting assistant. You are not a lawyer and say so when it matters."},
		{Name: "QuizNight", Mix: map[string]int{"trivia": 8, "science": 1, "other": 1}},
		{Name: "PennyWise", Mix: map[string]int{"finance": 7, "other": 2, "legal": 1}},
		{Name: "LabMate", Mix: map[string]int{"science": 7, "academia": 2, "health": 1}},
		{Name: "LedgerLens", Private: true, Mix: map[string]int{"finance": 8, "legal": 1, "other": 1}},
		{Name: "DevDocs Helper", Mix: map[string]int{"programming": 6, "technology": 3, "translation": 1}},
		{Name: "Wanderlust Planner", Mix: map[string]int{"other": 6, "translation": 2, "trivia": 2}},
	}
}

// makeApps returns n apps: the archetypes in order, then numbered copies
// of them ("CodePilot 2" at https://codepilot-2.example).
func makeApps(n int) []App {
	base := archetypes()
	apps := make([]App, 0, n)
	for i := range n {
		a := base[i%len(base)]
		host := strings.ToLower(strings.ReplaceAll(a.Name, " ", "-"))
		if round := i/len(base) + 1; round > 1 {
			a.Name = fmt.Sprintf("%s %d", a.Name, round)
			host = fmt.Sprintf("%s-%d", host, round)
		}
		a.URL = "https://" + host + ".example"
		a.Mix = maps.Clone(a.Mix)
		apps = append(apps, a)
	}
	return apps
}

// picker draws indexes with fixed weights.
type picker struct{ cum []float64 }

func newPicker(weights []float64) picker {
	cum := make([]float64, len(weights))
	sum := 0.0
	for i, w := range weights {
		sum += w
		cum[i] = sum
	}
	return picker{cum: cum}
}

// zipf returns a picker over n ranks whose rank k (from 0) has weight
// 1/(k+1)^s: a long tail behind a few popular ranks.
func zipf(n int, s float64) picker {
	w := make([]float64, n)
	for k := range w {
		w[k] = 1 / math.Pow(float64(k+1), s)
	}
	return newPicker(w)
}

func (p picker) pick(rng *rand.Rand) int {
	x := rng.Float64() * p.cum[len(p.cum)-1]
	return min(sort.SearchFloat64s(p.cum, x), len(p.cum)-1)
}

// mixPicker draws an app's categories, in a fixed order so that a seed
// always gives the same draws.
type mixPicker struct {
	names []string
	picker
}

func newMixPicker(mix map[string]int) mixPicker {
	var names []string
	for _, c := range Categories() {
		if mix[c] > 0 {
			names = append(names, c)
		}
	}
	w := make([]float64, len(names))
	for i, c := range names {
		w[i] = float64(mix[c])
	}
	return mixPicker{names: slices.Clip(names), picker: newPicker(w)}
}

func (m mixPicker) pick(rng *rand.Rand) string { return m.names[m.picker.pick(rng)] }
