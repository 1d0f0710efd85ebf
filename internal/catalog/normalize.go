package catalog

// This file turns one LiteLLM price-list key into a canonical model name and
// the upstream id the provider expects. The rules, in the order applied:
//
//  1. Routing: drop LiteLLM's own "provider/" prefix; what remains is the
//     upstream model id, minus Bedrock region and commitment paths
//     ("bedrock/us-west-2/…") and Azure deployment zones ("azure/eu/…").
//     Those paths, and Bedrock cross-region profiles ("us.", "global."),
//     only lower an entry's preference (rank) among duplicates.
//  2. Namespace: lower-case; drop organisation paths ("meta-llama/…"),
//     Fireworks' "accounts/fireworks/models/", Cloudflare's "@cf/", and
//     Bedrock/OCI "vendor." prefixes, remembering the organisation as an
//     author hint.
//  3. Versions: Bedrock "-v1:0" suffixes go ("-v0:2" is a model version and
//     becomes "-v0.2"), Vertex "@20250219" becomes "-20250219", "@001" and
//     "@default" go, and ":free"-style and Ollama ":tag" suffixes are folded.
//  4. Variants: trailing quantization words (fp8, fp4, int4, bf16, …) are
//     recorded as the endpoint's quantization; serving variants (Together
//     "turbo", Fireworks "fast", "free", "maas", "hf", …) are dropped and
//     lower the entry's rank, so the plain entry wins when both exist.
//  5. "-latest" aliases drop their suffix; a trailing full date (YYYYMMDD
//     or YYYY-MM-DD) is split off as the snapshot date. Four-digit tags
//     (gpt-4-0613, deepseek-v3-0324, mistral-large-2411) are versions, not
//     snapshots: they stay in the name. Volcano Engine's YYMMDD deployment
//     tags (deepseek-v3-2-251201) are dropped.
//  6. Spelling: vendor spellings converge on OpenRouter-style slugs — dotted
//     versions (claude-3-7-sonnet → claude-3.7-sonnet, Fireworks'
//     llama-v3p1 → llama-3.1, Bedrock's llama3-1 → llama-3.1, gpt-35 →
//     gpt-3.5), family order (claude-4-opus →
//     claude-opus-4), instruct suffixes where a provider omits them, and a
//     short alias table for names that differ by vendor convention only.
//  7. Author: from the model family (claude → anthropic, llama →
//     meta-llama, …), else the organisation path, else the provider's own.
//
// Whether a snapshot date ends up in the model id is decided later, across
// the whole source (see build.go).

import (
	"regexp"
	"strings"
)

// entryName is what normalisation learns from one price-list key.
type entryName struct {
	author   string // canonical author, e.g. "anthropic"
	slug     string // canonical slug without snapshot date, e.g. "claude-3.7-sonnet"
	date     string // snapshot date as written ("20250219", "2024-08-06"), or ""
	native   string // the vendor's own spelling with date, e.g. "claude-3-7-sonnet-20250219"
	upstream string // the id the provider's API expects
	quant    string // quantization named in the id (fp8, fp4, int4, int8, bf16, fp16)
	rank     int    // preference among one provider's duplicates; lower wins
}

// id is the canonical model id without a snapshot date.
func (n entryName) id() string { return n.author + "/" + n.slug }

// parseKey normalises one price-list key of the given provider. It reports
// false for keys that name no model the catalog can place.
func parseKey(key string, spec *providerSpec) (entryName, bool) {
	upstream, rank, ok := splitRoute(key, spec)
	if !ok || skipUpstream(upstream) {
		return entryName{}, false
	}
	n := entryName{upstream: upstream, rank: rank}
	s, org := modelPart(strings.ToLower(upstream), spec)
	s = stripVersion(s, spec, org, &n)
	s = stripVariants(s, spec, &n)
	s = stripLatest(s)
	s, n.date = splitDate(s, spec)
	n.native = s
	if n.date != "" {
		n.native += "-" + n.date
	}
	if tierAfterVersion.MatchString(s) {
		n.rank++ // claude-4-opus-20250514 is an alias of claude-opus-4-20250514
	}
	n.slug = canonicalSlug(s, spec)
	n.author = authorOf(n.slug, org, spec)
	if n.author == "" || n.slug == "" {
		return entryName{}, false
	}
	return n, true
}

var (
	awsRegion  = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d$`)
	commitment = regexp.MustCompile(`^\d+-month-commitment$`)
)

// geoRank ranks Bedrock cross-region inference profiles: plain model ids
// first, then global, then US, then other geographies.
var geoRank = map[string]int{"global": 1, "us": 2, "eu": 3, "apac": 3, "au": 3, "jp": 3, "ca": 3, "us-gov": 6}

// azureRank ranks Azure deployment zones the same way.
var azureRank = map[string]int{"global": 1, "global-standard": 1, "us": 2, "eu": 3}

// splitRoute strips LiteLLM's routing prefix and any region path from key,
// returning the upstream model id and the entry's rank.
func splitRoute(key string, spec *providerSpec) (upstream string, rank int, ok bool) {
	rest := key
	for _, p := range spec.prefixes {
		if strings.HasPrefix(rest, p) {
			rest = rest[len(p):]
			break
		}
	}
	switch spec.paths {
	case pathsBedrock:
		for {
			seg, tail, found := strings.Cut(rest, "/")
			if !found {
				break
			}
			switch {
			case commitment.MatchString(seg):
				return "", 0, false // provisioned throughput, priced per hour
			case seg == "invoke":
				rank = max(rank, 1)
			case seg == "us-east-1" || seg == "us-west-2":
				rank = max(rank, 4)
			case strings.HasPrefix(seg, "us-gov-"):
				rank = max(rank, 6)
			case seg == "*" || awsRegion.MatchString(seg):
				rank = max(rank, 5)
			default:
				return "", 0, false
			}
			rest = tail
		}
		if geo, _, found := strings.Cut(rest, "."); found {
			if r, isGeo := geoRank[geo]; isGeo {
				rank = max(rank, r)
			}
		}
	case pathsAzure:
		if zone, tail, found := strings.Cut(rest, "/"); found {
			if r, isZone := azureRank[zone]; isZone {
				rank, rest = r, tail
			}
		}
	}
	return rest, rank, rest != ""
}

// skipUpstream reports upstream ids that are not chat models: routers,
// presets, tools, pricing tiers, fine-tuning price rows, embedding, music
// and speech models listed under chat, and speculative-decoding drafts.
func skipUpstream(id string) bool {
	lower := strings.ToLower(id)
	for _, p := range []string{"ft:", "together-ai-", "openrouter/", "preset/", "switchpoint/", "replicateopenai/", "flux-", "accounts/fireworks/models/flux-"} {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	switch lower {
	case "container", "model_router", "anthropic.claude-3-7-sonnet-20240620-v1:0":
		// The last is a LiteLLM typo: Claude 3.7 Sonnet is 20250219.
		return true
	}
	return strings.Contains(lower, "-draft") || strings.Contains(lower, "embed") ||
		strings.Contains(lower, "lyria-") || strings.HasSuffix(lower, "-tts")
}

// dotVendors are the "vendor." prefixes of Bedrock and OCI model ids.
var dotVendors = map[string]bool{
	"ai21": true, "amazon": true, "anthropic": true, "cohere": true, "deepseek": true,
	"google": true, "meta": true, "minimax": true, "mistral": true, "moonshot": true,
	"moonshotai": true, "nvidia": true, "openai": true, "qwen": true, "twelvelabs": true,
	"writer": true, "xai": true, "zai": true,
}

// modelPart drops namespaces from a lower-cased upstream id and returns the
// bare model name with the organisation it was filed under, if any.
func modelPart(s string, spec *providerSpec) (name, org string) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "@cf/"), "@hf/")
	s = strings.TrimPrefix(s, "accounts/fireworks/models/")
	s = strings.TrimPrefix(s, "accounts/fireworks/routers/")
	if i := strings.LastIndex(s, "/"); i >= 0 {
		org, _, _ = strings.Cut(s[:i], "/")
		s = s[i+1:]
	}
	if spec.dotVendor {
		if geo, rest, ok := strings.Cut(s, "."); ok {
			if _, isGeo := geoRank[geo]; isGeo {
				s = rest
			}
		}
		if vendor, rest, ok := strings.Cut(s, "."); ok && dotVendors[vendor] {
			org, s = vendor, rest
			if len(rest) > 1 && (rest[0] == 'v' || rest[0] == 'r') && isDigit(rest[1]) {
				s = vendor + "-" + rest // deepseek.v3.2, deepseek.r1
			}
		}
	}
	if spec.Slug == "ollama" {
		s = strings.ReplaceAll(s, ":", "-")
	}
	return s, org
}

// legacyClaude names Anthropic's pre-Claude-3 models the way OpenRouter does.
var legacyClaude = map[string]string{
	"claude-v1": "claude-1", "claude-v2": "claude-2", "claude-v2:1": "claude-2.1",
	"claude-instant-v1": "claude-instant-1",
}

var (
	bedrockVersion = regexp.MustCompile(`^(.*)-v(\d+):(\d+)$`)
	colonVersion   = regexp.MustCompile(`^(.*)-\d+:\d+$`)
	trailingV      = regexp.MustCompile(`-v\d+$`)
	vertexVersion  = regexp.MustCompile(`^\d{4}(-\d{3})?$`)
	eightDigits    = regexp.MustCompile(`^\d{8}$`)
)

// stripVersion removes API version decorations: Bedrock "-v1:0", Vertex
// "@001", OpenRouter ":free".
func stripVersion(s string, spec *providerSpec, org string, n *entryName) string {
	if legacy, ok := legacyClaude[s]; ok {
		return legacy
	}
	if base, ver, ok := strings.Cut(s, "@"); ok {
		switch {
		case eightDigits.MatchString(ver):
			s = base + "-" + ver // a snapshot date
		case vertexVersion.MatchString(ver):
			s = base + "-" + ver[:4] // mistral-large@2411-001
		default:
			s = base // @001, @latest, @default
		}
	}
	if m := bedrockVersion.FindStringSubmatch(s); m != nil {
		if m[2] == "0" {
			s = m[1] + "-v0." + m[3] // mistral-7b-instruct-v0:2 is v0.2
		} else {
			s = m[1]
		}
	} else if m := colonVersion.FindStringSubmatch(s); m != nil {
		s = m[1] // gpt-oss-120b-1:0
	}
	if base, tag, ok := strings.Cut(s, ":"); ok {
		s = base
		n.rank++
		if tag == "free" {
			n.rank++
		}
	}
	if spec.dotVendor && legacyV1Vendors[org] {
		s = trailingV.ReplaceAllString(s, "")
	}
	return s
}

// legacyV1Vendors are the Bedrock vendors whose "-v1" suffix is an API
// version rather than part of the model name (meta.llama2-13b-chat-v1).
var legacyV1Vendors = map[string]bool{"ai21": true, "amazon": true, "anthropic": true, "meta": true}

// quantWords maps trailing quantization words to Endpoint.Quantization.
var quantWords = map[string]string{
	"fp8": "fp8", "fp4": "fp4", "nvfp4": "fp4", "mxfp4": "fp4", "mxfp": "fp4",
	"int4": "int4", "awq": "int4", "int8": "int8", "q8_0": "int8",
	"bf16": "bf16", "fp16": "fp16", "gguf": "",
}

// servingVariants are trailing words naming a way of serving a model rather
// than a different model, with the rank penalty they carry.
var servingVariants = map[string]int{
	"free": 2, "basic": 1, "hf": 1, "long": 1, "dynamic": 1,
	"maas": 0, "cloud": 0, "mtp": 0,
}

// stripVariants pops quantization and serving-variant words off the end.
func stripVariants(s string, spec *providerSpec, n *entryName) string {
	words := strings.Split(strings.ReplaceAll(s, "_q8_0", "-q8_0"), "-")
	for len(words) > 2 {
		last := words[len(words)-1]
		if q, ok := quantWords[last]; ok {
			if n.quant == "" {
				n.quant = q
			}
		} else if r, ok := servingVariants[last]; ok {
			n.rank += r
		} else if spec.hasVariant(last) {
			n.rank++
		} else {
			break
		}
		words = words[:len(words)-1]
	}
	return strings.Join(words, "-")
}

// stripLatest drops a "-latest" alias suffix unless the alias is the model's
// public name (chatgpt-4o-latest).
func stripLatest(s string) string {
	if s == "chatgpt-4o-latest" {
		return s
	}
	return strings.TrimSuffix(s, "-latest")
}

var (
	dateYYYYMMDD = regexp.MustCompile(`^(.+)-(20\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))$`)
	dateISO      = regexp.MustCompile(`^(.+)-(20\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))$`)
	yymmddTag    = regexp.MustCompile(`^(.+)-2\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$`)
)

// splitDate splits a trailing snapshot date off s. A Volcano Engine
// YYMMDD tag (deepseek-v3-2-251201) names the provider's deployment of a
// model, not a vendor snapshot, so it is dropped rather than kept.
func splitDate(s string, spec *providerSpec) (base, date string) {
	for _, re := range []*regexp.Regexp{dateYYYYMMDD, dateISO} {
		if m := re.FindStringSubmatch(s); m != nil {
			return m[1], m[2]
		}
	}
	if spec.yymmdd {
		if m := yymmddTag.FindStringSubmatch(s); m != nil {
			return m[1], ""
		}
	}
	return s, ""
}

// normalizeDate renders a snapshot date as YYYYMMDD.
func normalizeDate(d string) string { return strings.ReplaceAll(d, "-", "") }

// rewrite is one spelling rule: a pattern and its replacement.
type rewrite struct {
	re   *regexp.Regexp
	repl string
}

func rw(pattern, repl string) rewrite { return rewrite{regexp.MustCompile(pattern), repl} }

// spellingRules converge vendor spellings, applied in order.
var spellingRules = []rewrite{
	// Vendor or platform prefixes in front of a model family.
	rw(`^(?:databricks|anthropic|openai|alibaba|zai|nvidia|labs)-`, ""),
	rw(`^meta-llama-?`, "llama-"),
	rw(`^gemini-gemma-`, "gemma-"),
	rw(`^qwen-qwq-`, "qwq-"),
	rw(`^code-qwen-`, "codeqwen"),
	rw(`^code-llama-`, "codellama-"),
	rw(`^llamaguard-`, "llama-guard-"),
	rw(`^open-(mistral|mixtral|codestral)`, "$1"),
	rw(`^mamba-codestral`, "codestral-mamba"),
	rw(`^llama-?v(\d)`, "llama-$1"), // Fireworks llama-v3p1
	rw(`^qwen-v(\d)`, "qwen$1"),
	rw(`^qwen25-`, "qwen2.5-"),
	rw(`^qwen-(\d(?:\.\d)?)-`, "qwen$1-"), // qwen-3-32b, qwen-2.5-72b
	rw(`^gemma(\d)`, "gemma-$1"),
	rw(`^hermes(\d)`, "hermes-$1"),
	rw(`^gpt-35-`, "gpt-3.5-"),
	rw(`^gpt-35$`, "gpt-3.5"),
	// Dotted versions: x-3-7-y → x-3.7-y (single digits only, so sizes and
	// four-digit version tags are left alone).
	rw(`^(claude|gemini|gpt|grok|glm|jamba|doubao-seed)-(\d)-(\d)(-|$)`, "$1-$2.$3$4"),
	rw(`^deepseek-v(\d)-(\d)(-|$)`, "deepseek-v$1.$2$3"),
	rw(`^(claude-(?:opus|sonnet|haiku))-(\d)-(\d)(-|$)`, "$1-$2.$3$4"),
	rw(`^((?:mistral|magistral|ministral)-(?:small|medium|large))-(\d)-(\d)(-|$)`, "$1-$2.$3$4"),
	// Claude 4 and later put the tier first: claude-4-opus → claude-opus-4.
	rw(`^claude-([4-9](?:\.\d)?)-(opus|sonnet|haiku)`, "claude-$2-$1"),
	rw(`^deepseek-chat-v`, "deepseek-v"),
	rw(`^deepseek-(r1|v3(?:\.\d)?)-671b$`, "deepseek-$1"),
	rw(`^kimi-k2-instruct`, "kimi-k2"),
	rw(`^kimi-k2-(0711|0905)-preview$`, "kimi-k2-$1"),
	rw(`^kimi-k2-0711$`, "kimi-k2"),
	rw(`^mixtral-(8x\d+b)-instruct-v0\.1$`, "mixtral-$1-instruct"),
	rw(`^llama-3\.1-(\d+b)-instant$`, "llama-3.1-$1-instruct"),
	rw(`^llama-3\.3-(\d+b)-versatile$`, "llama-3.3-$1-instruct"),
	rw(`^ministral-3-(\d+b)(?:-instruct)?(?:-2512)?$`, "ministral-$1-2512"),
	rw(`^magistral-(small|medium)-1\.2-2509$`, "magistral-$1-2509"),
	rw(`^devstral-2-123b(?:-instruct)?(?:-2512)?$`, "devstral-2512"),
}

// completionRules add what a provider leaves implicit, after spelling.
var completionRules = []rewrite{
	rw(`^llama-3\.2-(11b|90b)-instruct$`, "llama-3.2-$1-vision-instruct"),
	rw(`^llama-4-(maverick|scout)(?:-.*)?$`, "llama-4-$1"),
	rw(`^(qwen3-(?:coder|vl|next)-\d+b(?:-a\d+b)?)$`, "$1-instruct"),
	rw(`^nova-((?:2-)?(?:micro|lite|pro|premier))(?:-v1)?$`, "nova-$1-v1"),
}

// bareInstruct matches families whose bare names mean the instruct model
// except at providers that also sell the base checkpoint.
var bareInstruct = []rewrite{
	rw(`^(llama-2-\d+b)$`, "$1-chat"),
	rw(`^(llama-3(?:\.\d)?-\d+b)$`, "$1-instruct"),
	rw(`^(mixtral-8x\d+b)$`, "$1-instruct"),
	rw(`^(gemma-(?:\d(?:\.\d)?-)?e?\d+b(?:-a\d+b)?)$`, "$1-it"),
}

// aliases maps names that differ from the canonical one by vendor
// convention only; both sides are in post-rule spelling.
var aliases = map[string]string{
	"command-a-03-2025":                   "command-a",
	"gemma-4-26b-it":                      "gemma-4-26b-a4b-it",
	"hermes-3-405b":                       "hermes-3-llama-3.1-405b",
	"hermes-3-70b":                        "hermes-3-llama-3.1-70b",
	"hermes-3-8b":                         "hermes-3-llama-3.1-8b",
	"l3-8b-lunaris-v1":                    "l3-8b-lunaris",
	"l31-70b-euryale-v2.2":                "l3.1-70b-euryale-v2.2",
	"llama-2":                             "llama-2-7b-chat",         // Ollama's default tag
	"llama-3":                             "llama-3-8b-instruct",     // Ollama's default tag
	"llama-3.1":                           "llama-3.1-8b-instruct",   // Ollama's default tag
	"llama-3-405b-instruct":               "llama-3.1-405b-instruct", // Vertex's llama3-405b is 3.1
	"mistral-7b-instruct-v3":              "mistral-7b-instruct-v0.3",
	"mistral-large-3":                     "mistral-large-2512",
	"mistral-large-3-675b-instruct":       "mistral-large-2512",
	"mistral-large-instruct-2407":         "mistral-large-2407",
	"mistral-large2":                      "mistral-large-2407",
	"mistral-medium-2505":                 "mistral-medium-3",
	"mistral-medium-3.1-2508":             "mistral-medium-3.1",
	"mistral-medium-2508":                 "mistral-medium-3.1",
	"mistral-medium-3.5-128b":             "mistral-medium-3.5",
	"mistral-nemo-2407":                   "mistral-nemo",
	"mistral-nemo-instruct-2407":          "mistral-nemo",
	"mistral-small-2501":                  "mistral-small-24b-instruct-2501",
	"mistral-small-2503":                  "mistral-small-3.1-24b-instruct",
	"mistral-small-3.1-24b-instruct-2503": "mistral-small-3.1-24b-instruct",
	"mistral-small-3.2-2506":              "mistral-small-3.2-24b-instruct",
	"mistral-small-3.2-24b-instruct-2506": "mistral-small-3.2-24b-instruct",
	"pixtral-12b-2409":                    "pixtral-12b",
	"qwen3-235b":                          "qwen3-235b-a22b",
	"qwen3-235b-a22b-2507":                "qwen3-235b-a22b-instruct-2507",
	"qwen3-30b":                           "qwen3-30b-a3b",
	"qwen3-coder":                         "qwen3-coder-480b-a35b-instruct",
	"qwen3-coder-480b":                    "qwen3-coder-480b-a35b-instruct",
	"qwen3-coder-480b-instruct":           "qwen3-coder-480b-a35b-instruct",
	"qwen3-vl-235b-a22b":                  "qwen3-vl-235b-a22b-instruct",
}

// canonicalSlug applies the spelling, completion and alias rules.
func canonicalSlug(s string, spec *providerSpec) string {
	if spec.pDecimals {
		s = fireworksDecimal.ReplaceAllString(s, "$1.$2")
	}
	for _, r := range spellingRules {
		s = r.re.ReplaceAllString(s, r.repl)
	}
	s = normalizeLlama(s)
	if !spec.bareIsBase {
		for _, r := range bareInstruct {
			s = r.re.ReplaceAllString(s, r.repl)
		}
	}
	for _, r := range completionRules {
		s = r.re.ReplaceAllString(s, r.repl)
	}
	if a, ok := aliases[s]; ok {
		s = a
	}
	return s
}

var (
	fireworksDecimal = regexp.MustCompile(`(\d)p(\d)`)
	tierAfterVersion = regexp.MustCompile(`^claude-[4-9](?:[.-]\d)?-(?:opus|sonnet|haiku)`)
)

// llamaVersion matches Meta's many spellings of a Llama version:
// llama3, llama3.1, llama-3-1, llama3_1, llama-3.1.
var llamaVersion = regexp.MustCompile(`^llama[-_]?(\d)(?:[._-](\d))?(-|$)`)

// normalizeLlama spells Llama versions as "llama-3.1-…". The minor version
// must be a single digit followed by "-" or the end, so "llama-2-70b" keeps
// its size.
func normalizeLlama(s string) string {
	m := llamaVersion.FindStringSubmatchIndex(s)
	if m == nil {
		return s
	}
	major := s[m[2]:m[3]]
	version := major
	if m[4] >= 0 {
		version += "." + s[m[4]:m[5]]
	}
	return "llama-" + version + s[m[6]:]
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// familyAuthors infers a model's author from its family, checked in order.
var familyAuthors = []struct {
	re     *regexp.Regexp
	author string
}{
	{regexp.MustCompile(`nemotron`), "nvidia"},
	{regexp.MustCompile(`^claude`), "anthropic"},
	{regexp.MustCompile(`^(gpt|chatgpt|codex|computer-use|o\d(-|$))`), "openai"},
	{regexp.MustCompile(`^(gemini|learnlm|codegemma|gemma-e?\d)`), "google"},
	{regexp.MustCompile(`^(llama|codellama)`), "meta-llama"},
	{regexp.MustCompile(`^(mistral|mixtral|codestral|ministral|pixtral|magistral|devstral|voxtral|mathstral)`), "mistralai"},
	{regexp.MustCompile(`^(qwen\d|qwen-(max|plus|turbo|flash|coder|vl|mt|long|omni)|qwq)`), "qwen"},
	{regexp.MustCompile(`^deepseek`), "deepseek"},
	{regexp.MustCompile(`^grok`), "x-ai"},
	{regexp.MustCompile(`^(command|c4ai|aya)`), "cohere"},
	{regexp.MustCompile(`^(kimi|moonshot)`), "moonshotai"},
	{regexp.MustCompile(`^(glm|autoglm|chatglm|codegeex)`), "z-ai"},
	{regexp.MustCompile(`^(nova|titan)-`), "amazon"},
	{regexp.MustCompile(`^(jamba|j2-)`), "ai21"},
	{regexp.MustCompile(`^(phi-|mai-ds|wizardlm)`), "microsoft"},
	{regexp.MustCompile(`^minimax`), "minimax"},
	{regexp.MustCompile(`^(hermes|nous-|chronos-hermes)`), "nousresearch"},
	{regexp.MustCompile(`^(sonar|pplx-|r1-1776)`), "perplexity"},
	{regexp.MustCompile(`^ernie`), "baidu"},
	{regexp.MustCompile(`^yi-`), "01-ai"},
	{regexp.MustCompile(`^granite`), "ibm-granite"},
	{regexp.MustCompile(`^olmo`), "allenai"},
	{regexp.MustCompile(`^dbrx`), "databricks"},
	{regexp.MustCompile(`^mercury`), "inception"},
	{regexp.MustCompile(`^doubao`), "bytedance"},
	{regexp.MustCompile(`^mimo`), "xiaomi"},
	{regexp.MustCompile(`^morph`), "morph"},
	{regexp.MustCompile(`^palmyra`), "writer"},
	{regexp.MustCompile(`^reka`), "rekaai"},
	{regexp.MustCompile(`^(snowflake-)?arctic`), "snowflake"},
	{regexp.MustCompile(`^sarvam`), "sarvamai"},
	{regexp.MustCompile(`^v0-`), "vercel"},
	{regexp.MustCompile(`^mythomax`), "gryphe"},
	{regexp.MustCompile(`^(starcoder)`), "bigcode"},
	{regexp.MustCompile(`^zephyr`), "huggingfaceh4"},
	{regexp.MustCompile(`^lfm-`), "liquid"},
	{regexp.MustCompile(`^cogito`), "deepcogito"},
	{regexp.MustCompile(`^muse-`), "meta"},
	{regexp.MustCompile(`^(firefunction|firellava|fare-)`), "fireworks"},
	{regexp.MustCompile(`^dolphin`), "cognitivecomputations"},
	{regexp.MustCompile(`^openchat`), "openchat"},
	{regexp.MustCompile(`^apertus`), "swiss-ai"},
	{regexp.MustCompile(`^kat-`), "kwaipilot"},
	{regexp.MustCompile(`^internvl`), "opengvlab"},
	{regexp.MustCompile(`^(openhermes)`), "teknium"},
	{regexp.MustCompile(`^(mpt-)`), "mosaicml"},
	{regexp.MustCompile(`^codeqwen`), "qwen"},
	{regexp.MustCompile(`^phind-`), "phind"},
	{regexp.MustCompile(`^pythia-`), "eleutherai"},
	{regexp.MustCompile(`^stablecode-`), "stabilityai"},
	{regexp.MustCompile(`^internlm`), "internlm"},
	{regexp.MustCompile(`^openthinker-`), "open-thoughts"},
	{regexp.MustCompile(`^dobby-`), "sentientagi"},
	{regexp.MustCompile(`^llava-`), "liuhaotian"},
	{regexp.MustCompile(`^snorkel-`), "snorkelai"},
	{regexp.MustCompile(`^toppy-`), "undi95"},
	{regexp.MustCompile(`^openorca-`), "open-orca"},
	{regexp.MustCompile(`^rolm-ocr`), "reducto"},
	{regexp.MustCompile(`^firesearch-`), "fireworks"},
}

// orgAuthors maps organisation paths onto canonical author slugs.
var orgAuthors = map[string]string{
	"alibaba": "qwen", "deepseek-ai": "deepseek", "ibm": "ibm-granite",
	"minimaxai": "minimax", "mistral": "mistralai", "moonshot": "moonshotai",
	"xai": "x-ai", "xiaomimimo": "xiaomi", "zai": "z-ai", "zai-org": "z-ai",
}

// ignoredOrgs are path segments that are not authors.
var ignoredOrgs = map[string]bool{"ps": true, "meta": true, "preset": true}

// authorOf infers the author of a canonical slug.
func authorOf(slug, org string, spec *providerSpec) string {
	for _, f := range familyAuthors {
		if f.re.MatchString(slug) {
			return f.author
		}
	}
	if org != "" && !ignoredOrgs[org] {
		if a, ok := orgAuthors[org]; ok {
			return a
		}
		return org
	}
	return spec.author
}
