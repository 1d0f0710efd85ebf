package catalog

// This file derives a model's display name, tokenizer group, creation date
// and description from its canonical id. Nothing here is invented: every
// value is a function of the id and the price data.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// authorNames are display names of model authors; others are title-cased.
var authorNames = map[string]string{
	"01-ai": "01.AI", "ai21": "AI21", "allenai": "AllenAI", "amazon": "Amazon",
	"anthropic": "Anthropic", "baidu": "Baidu", "bigcode": "BigCode",
	"bytedance": "ByteDance", "cohere": "Cohere", "databricks": "Databricks",
	"deepcogito": "Deep Cogito", "deepseek": "DeepSeek", "google": "Google",
	"ibm-granite": "IBM", "meta": "Meta", "meta-llama": "Meta",
	"microsoft": "Microsoft", "minimax": "MiniMax", "mistralai": "Mistral",
	"moonshotai": "MoonshotAI", "nousresearch": "Nous", "nvidia": "NVIDIA",
	"openai": "OpenAI", "opengvlab": "OpenGVLab", "perplexity": "Perplexity",
	"qwen": "Qwen", "sao10k": "Sao10K", "sarvamai": "Sarvam AI", "x-ai": "xAI",
	"xiaomi": "Xiaomi", "z-ai": "Z.ai",
}

// wordNames are display spellings of words in model slugs.
var wordNames = map[string]string{
	"ai": "AI", "chatgpt": "ChatGPT", "codellama": "CodeLlama", "deepseek": "DeepSeek",
	"glm": "GLM", "gpt": "GPT", "it": "IT", "mimo": "MiMo", "minimax": "MiniMax",
	"moe": "MoE", "ocr": "OCR", "oss": "OSS", "qwq": "QwQ", "vl": "VL",
}

var (
	sizeWord    = regexp.MustCompile(`^(a|e)?\d+(\.\d+)?[bmk]$|^\d+x\d+b$`)
	versionWord = regexp.MustCompile(`^[a-z]\d[\d.]*$`)
	oSeries     = regexp.MustCompile(`^o\d$`)
)

// authorName is the display name of an author slug.
func authorName(author string) string {
	if n, ok := authorNames[author]; ok {
		return n
	}
	return titleWords(strings.Split(author, "-"))
}

// modelName is "Author: Human Name", e.g. "Anthropic: Claude 3.7 Sonnet".
func modelName(id string) string {
	author, slug, _ := strings.Cut(id, "/")
	return authorName(author) + ": " + humanSlug(slug)
}

// humanSlug spells a slug for people: "claude-3.7-sonnet" → "Claude 3.7
// Sonnet", "gpt-4o-mini" → "GPT-4o Mini", "qwen3-235b-a22b" → "Qwen3 235B
// A22B".
func humanSlug(slug string) string {
	words := strings.Split(slug, "-")
	out := make([]string, 0, len(words))
	for i := 0; i < len(words); i++ {
		w := humanWord(words[i], i)
		if words[i] == "gpt" && i+1 < len(words) {
			i++
			w += "-" + humanWord(words[i], i) // GPT-4o, GPT-OSS
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

// humanWord spells the i-th word of a slug.
func humanWord(w string, i int) string {
	switch {
	case wordNames[w] != "":
		return wordNames[w]
	case i == 0 && oSeries.MatchString(w):
		return w // OpenAI's o1, o3, o4 are lower-case
	case sizeWord.MatchString(w):
		return upperSize(w)
	case versionWord.MatchString(w):
		return strings.ToUpper(w[:1]) + w[1:] // K2, M2.5, V3.1
	}
	return titleWords([]string{w})
}

// upperSize spells a parameter count: 70b → 70B, a22b → A22B, 8x7b → 8x7B.
func upperSize(w string) string {
	b := []byte(w)
	if b[0] == 'a' || b[0] == 'e' {
		b[0] -= 'a' - 'A'
	}
	b[len(b)-1] -= 'a' - 'A'
	return string(b)
}

// titleWords capitalises the first letter of each word and joins them.
func titleWords(words []string) string {
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

// tokenizer returns the OpenRouter tokenizer group of a model.
func tokenizer(author, slug string) string {
	switch {
	case author == "openai":
		return "GPT"
	case author == "anthropic":
		return "Claude"
	case strings.HasPrefix(slug, "gemini") || strings.HasPrefix(slug, "learnlm"):
		return "Gemini"
	case author == "google" && strings.Contains(slug, "gemma"):
		return "Gemma"
	case author == "x-ai":
		return "Grok"
	case author == "cohere":
		return "Cohere"
	case author == "amazon" && strings.HasPrefix(slug, "nova"):
		return "Nova"
	case strings.Contains(slug, "llama-4"):
		return "Llama4"
	case strings.Contains(slug, "llama-3") || strings.Contains(slug, "llama3") || strings.Contains(slug, "distill-llama"):
		return "Llama3"
	case strings.Contains(slug, "llama-2") || strings.Contains(slug, "llama2"):
		return "Llama2"
	case strings.Contains(slug, "distill-qwen"):
		return "Qwen"
	case author == "qwen" && strings.HasPrefix(slug, "qwen3"):
		return "Qwen3"
	case author == "qwen":
		return "Qwen"
	case author == "01-ai":
		return "Yi"
	case author == "deepseek":
		return "DeepSeek"
	case author == "mistralai":
		return "Mistral"
	}
	return "Other"
}

var (
	sourceDateRE = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)
	idYYMM       = regexp.MustCompile(`-(2[3-6])(0[1-9]|1[0-2])(?:-|$)`)
	idMMYYYY     = regexp.MustCompile(`-(0[1-9]|1[0-2])-(20\d\d)(?:-|$)`)
)

// sourceDate is the date in SourceName, the fallback creation date.
func sourceDate() time.Time {
	t, err := time.Parse(time.DateOnly, sourceDateRE.FindString(SourceName))
	if err != nil {
		panic("catalog: SourceName carries no YYYY-MM-DD date")
	}
	return t
}

// created derives a model's creation time: its snapshot date if it has one,
// else an unambiguous year-month in its id (mistral-large-2411,
// command-r-08-2024), else the price file's date. Four-digit groups that
// could be a month and day (0324, 1212) carry no year and are not used.
func created(date, id string) int64 {
	if date != "" {
		if t, err := time.Parse("20060102", normalizeDate(date)); err == nil {
			return t.Unix()
		}
	}
	if m := idYYMM.FindStringSubmatch(id); m != nil {
		return monthStart("20"+m[1], m[2])
	}
	if m := idMMYYYY.FindStringSubmatch(id); m != nil {
		return monthStart(m[2], m[1])
	}
	return sourceDate().Unix()
}

func monthStart(year, month string) int64 {
	y, _ := strconv.Atoi(year)
	m, _ := strconv.Atoi(month)
	return time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC).Unix()
}

// description is a factual one-liner generated from the catalog data.
func description(m *Model) string {
	_, slug, _ := strings.Cut(m.ID, "/")
	author, _, _ := strings.Cut(m.ID, "/")
	var b strings.Builder
	fmt.Fprintf(&b, "%s by %s.", humanSlug(slug), authorName(author))
	if m.ContextLength > 0 {
		fmt.Fprintf(&b, " Context window %s tokens.", groupThousands(m.ContextLength))
	}
	fmt.Fprintf(&b, " Input: %s; output: %s.", strings.Join(m.InputModalities, ", "), strings.Join(m.OutputModalities, ", "))
	providers := "providers"
	if len(m.Endpoints) == 1 {
		providers = "provider"
	}
	fmt.Fprintf(&b, " Listed with %d %s in %s.", len(m.Endpoints), providers, SourceName)
	return b.String()
}

// groupThousands renders 200000 as "200,000".
func groupThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
