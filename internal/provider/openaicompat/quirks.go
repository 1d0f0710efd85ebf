package openaicompat

import "strings"

// Field is a set of optional request fields. Quirks.Drop names those an
// upstream refuses or does not know: they are removed from its requests,
// as OpenRouter ignores parameters a model does not support.
type Field uint32

// Optional request fields that some upstreams refuse.
const (
	// OpenRouter's sampling extras.
	FieldTopK Field = 1 << iota
	FieldMinP
	FieldTopA
	FieldRepetitionPenalty
	// OpenAI fields that not every upstream knows.
	FieldUser
	FieldLogprobs // logprobs and top_logprobs
	FieldLogitBias
	FieldServiceTier
	FieldMetadata
	FieldModalities
	FieldVerbosity

	// samplingExtras are the parameters OpenRouter adds to OpenAI's.
	samplingExtras = FieldTopK | FieldMinP | FieldTopA | FieldRepetitionPenalty
)

// TokenCap says which request field carries the output-token cap.
type TokenCap uint8

const (
	// CapAsSent forwards max_tokens and max_completion_tokens as sent.
	CapAsSent TokenCap = iota
	// CapMaxTokens sends the cap as max_tokens, for upstreams that do
	// not know max_completion_tokens.
	CapMaxTokens
	// CapMaxCompletionTokens sends the cap as max_completion_tokens, for
	// upstreams where max_tokens is deprecated (OpenAI's reasoning models
	// reject it).
	CapMaxCompletionTokens
)

// Quirks describes how one upstream departs from OpenAI's Chat Completions
// (protocols.md §6 and §8). Response-side differences (reasoning fields,
// extra finish reasons, usage extensions, error shapes) are accepted from
// every upstream, so only request-side differences are listed here.
type Quirks struct {
	// BaseURL is the upstream's public API root, used when the
	// configuration leaves it empty.
	BaseURL string
	// Drop are the optional fields removed from requests.
	Drop Field
	// Cap is the field that carries the output-token cap.
	Cap TokenCap
	// NoStreamOptions leaves stream_options out of streamed requests, for
	// upstreams that reject it; they report usage on the last chunk anyway.
	NoStreamOptions bool
	// RandomSeed sends seed as random_seed.
	RandomSeed bool
	// ToolChoiceAny sends tool_choice "required" as "any".
	ToolChoiceAny bool
	// ShortToolCallIDs rewrites tool-call ids to exactly nine ASCII letters
	// and digits, the only ids the upstream accepts, and maps them back in
	// responses.
	ShortToolCallIDs bool
	// OpenRouter forwards OpenRouter's own fields (provider, reasoning,
	// include_reasoning, transforms, session_id and the reasoning of
	// earlier assistant turns) to an upstream that is OpenRouter.
	OpenRouter bool
}

// known holds the quirks of every upstream Switchyard knows by slug. It is
// never written after initialisation.
var known = map[string]Quirks{
	"openai":     {BaseURL: "https://api.openai.com/v1", Drop: samplingExtras, Cap: CapMaxCompletionTokens},
	"groq":       {BaseURL: "https://api.groq.com/openai/v1", Drop: samplingExtras | FieldLogprobs | FieldLogitBias},
	"together":   {BaseURL: "https://api.together.ai/v1", Drop: FieldTopA, Cap: CapMaxTokens},
	"deepseek":   {BaseURL: "https://api.deepseek.com", Drop: samplingExtras, Cap: CapMaxTokens},
	"fireworks":  {BaseURL: "https://api.fireworks.ai/inference/v1", Drop: FieldTopA, Cap: CapMaxTokens},
	"x-ai":       {BaseURL: "https://api.x.ai/v1", Drop: samplingExtras},
	"deepinfra":  {BaseURL: "https://api.deepinfra.com/v1/openai", Drop: FieldTopA, Cap: CapMaxTokens},
	"perplexity": {BaseURL: "https://api.perplexity.ai", Drop: samplingExtras &^ FieldTopK, Cap: CapMaxTokens, NoStreamOptions: true},
	"cerebras":   {BaseURL: "https://api.cerebras.ai/v1", Drop: samplingExtras},
	"sambanova":  {BaseURL: "https://api.sambanova.ai/v1", Drop: samplingExtras &^ FieldTopK, Cap: CapMaxTokens},
	"novita":     {Drop: FieldTopA, Cap: CapMaxTokens},
	"nebius":     {Drop: FieldTopA, Cap: CapMaxTokens},
	"mistral": {
		BaseURL: "https://api.mistral.ai/v1",
		// Mistral answers unknown fields with a 422.
		Drop: samplingExtras | FieldUser | FieldLogprobs | FieldLogitBias | FieldServiceTier |
			FieldMetadata | FieldModalities | FieldVerbosity,
		Cap:              CapMaxTokens,
		NoStreamOptions:  true, // usage comes on the last chunk unasked
		RandomSeed:       true,
		ToolChoiceAny:    true,
		ShortToolCallIDs: true,
	},
	"openrouter": {BaseURL: "https://openrouter.ai/api/v1", OpenRouter: true},

	// Local servers: no key, usually on their default port.
	"vllm":      {BaseURL: "http://localhost:8000/v1", Drop: FieldTopA},
	"llama.cpp": {BaseURL: "http://localhost:8080/v1", Drop: FieldTopA | FieldRepetitionPenalty, Cap: CapMaxTokens},
	"lmstudio":  {BaseURL: "http://localhost:1234/v1", Drop: FieldTopA | FieldRepetitionPenalty, Cap: CapMaxTokens},
	"ollama":    {BaseURL: "http://localhost:11434/v1", Drop: samplingExtras, Cap: CapMaxTokens},
}

// aliases maps other spellings of a slug (LiteLLM's among them) to the one
// in known.
var aliases = map[string]string{
	"xai":          "x-ai",
	"together-ai":  "together",
	"togetherai":   "together",
	"fireworks-ai": "fireworks",
	"mistralai":    "mistral",
	"hosted-vllm":  "vllm",
	"llamacpp":     "llama.cpp",
	"llama-cpp":    "llama.cpp",
	"lm-studio":    "lmstudio",
	"novita-ai":    "novita",
	"nebius-ai":    "nebius",
}

// defaultQuirks serve unknown slugs: typically self-hosted servers, which
// accept the common sampling extras and ignore what they do not know.
var defaultQuirks = Quirks{}

// QuirksFor returns the quirks of the upstream with the given provider slug.
// Matching ignores case, treats "_" as "-", and ignores a routing suffix
// such as "/turbo" in "deepinfra/turbo". Unknown slugs get defaults suited
// to a self-hosted OpenAI-compatible server.
func QuirksFor(slug string) Quirks {
	s := strings.ToLower(slug)
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	s = strings.ReplaceAll(s, "_", "-")
	if a, ok := aliases[s]; ok {
		s = a
	}
	if q, ok := known[s]; ok {
		return q
	}
	return defaultQuirks
}
