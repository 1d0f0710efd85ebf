package catalog

// This file holds the provider table: which LiteLLM provider names map onto
// which Switchyard provider, and how to reach it. The table is read-only.
//
// Mapping decisions worth knowing:
//
//   - bedrock, bedrock_converse and bedrock_mantle are one provider,
//     amazon-bedrock (protocol bedrock); the region or cross-region profile
//     an entry was priced for only decides which duplicate wins.
//   - Every vertex_ai* price list (Gemini and the partner "MaaS" models:
//     Anthropic, Mistral, Llama, …) is google-vertex (protocol vertex).
//     Anthropic models on Vertex will need the anthropic-on-vertex wire
//     format; that is the adapter's business, not the catalog's.
//   - azure (Azure OpenAI) and azure_ai (Azure AI Foundry serverless models)
//     are kept apart as azure and azure-ai: they are separate resources with
//     separate keys and endpoints. Both speak protocol azure (api-key header,
//     api-version), and both need a per-resource base URL from the config.
//   - An empty BaseURL means the endpoint is account- or region-scoped and
//     must be set by the config file (Azure, Cloudflare, Databricks,
//     Snowflake, Vertex).
//   - Not mapped, so skipped: subscriptions rather than APIs (chatgpt,
//     github_copilot), self-deployed endpoints (sagemaker), retired services
//     (anyscale, palm), and APIs with no matching protocol or token exchange
//     we do not implement (watsonx, gigachat, nlp_cloud).

// providerSpec describes one Switchyard provider and how its LiteLLM price
// list entries are read.
type providerSpec struct {
	Provider

	// litellm lists the litellm_provider values folded into this provider.
	litellm []string
	// prefixes are LiteLLM routing prefixes stripped from keys to obtain the
	// upstream model id ("fireworks_ai/", "vertex_ai/", …).
	prefixes []string
	// author is the model author assumed when neither the model family nor
	// an organisation path names one (e.g. "command-r" at cohere).
	author string
	// paths says how to read region or deployment paths in keys.
	paths pathKind
	// dotVendor: model ids are "vendor.model" (Bedrock, OCI).
	dotVendor bool
	// bareIsBase: bare llama/gemma/mixtral names are base (pretrained)
	// checkpoints at this provider, not instruct models.
	bareIsBase bool
	// variants lists suffix words that mark a serving variant of the same
	// model at this provider ("turbo" at Together, "fast" at Fireworks).
	variants []string
	// pDecimals: the provider writes decimals as "p" (llama-v3p1).
	pDecimals bool
	// yymmdd: a trailing six-digit YYMMDD group is a snapshot date.
	yymmdd bool
}

// pathKind selects how region or deployment path segments are parsed.
type pathKind int

const (
	pathsNone    pathKind = iota
	pathsBedrock          // bedrock/<region>/[<n>-month-commitment/]<model>
	pathsAzure            // azure/<eu|us|global|global-standard>/<model>
)

// providerSpecs is the provider table, one entry per Switchyard provider.
var providerSpecs = []providerSpec{
	{Provider: Provider{Slug: "ai21", Name: "AI21", Protocol: ProtocolOpenAI, BaseURL: "https://api.ai21.com/studio/v1", APIKeyEnv: []string{"AI21_API_KEY"}, PrivacyPolicyURL: "https://www.ai21.com/privacy-policy/"},
		litellm: []string{"ai21"}, prefixes: []string{"ai21/"}, author: "ai21"},
	{Provider: Provider{Slug: "alibaba", Name: "Alibaba Cloud Model Studio", Protocol: ProtocolOpenAI, BaseURL: "https://dashscope-intl.aliyuncs.com/compatible-mode/v1", APIKeyEnv: []string{"DASHSCOPE_API_KEY"}},
		litellm: []string{"dashscope"}, prefixes: []string{"dashscope/"}, author: "qwen"},
	{Provider: Provider{Slug: "amazon-bedrock", Name: "Amazon Bedrock", Protocol: ProtocolBedrock, BaseURL: "https://bedrock-runtime.us-east-1.amazonaws.com", APIKeyEnv: []string{"AWS_BEARER_TOKEN_BEDROCK"}, PrivacyPolicyURL: "https://aws.amazon.com/privacy/"},
		litellm: []string{"bedrock", "bedrock_converse", "bedrock_mantle"}, prefixes: []string{"bedrock_mantle/", "bedrock/"}, paths: pathsBedrock, dotVendor: true},
	{Provider: Provider{Slug: "amazon-nova", Name: "Amazon Nova", Protocol: ProtocolOpenAI, BaseURL: "https://api.nova.amazon.com/v1", APIKeyEnv: []string{"AMAZON_NOVA_API_KEY"}},
		litellm: []string{"amazon_nova"}, prefixes: []string{"amazon-nova/", "amazon_nova/"}, author: "amazon"},
	{Provider: Provider{Slug: "anthropic", Name: "Anthropic", Protocol: ProtocolAnthropic, BaseURL: "https://api.anthropic.com/v1", APIKeyEnv: []string{"ANTHROPIC_API_KEY"}, PrivacyPolicyURL: "https://www.anthropic.com/legal/privacy"},
		litellm: []string{"anthropic"}, prefixes: []string{"anthropic/"}, author: "anthropic"},
	{Provider: Provider{Slug: "azure", Name: "Azure OpenAI", Protocol: ProtocolAzure, APIKeyEnv: []string{"AZURE_OPENAI_API_KEY", "AZURE_API_KEY"}, PrivacyPolicyURL: "https://privacy.microsoft.com/privacystatement"},
		litellm: []string{"azure"}, prefixes: []string{"azure/"}, paths: pathsAzure, author: "openai"},
	{Provider: Provider{Slug: "azure-ai", Name: "Azure AI Foundry", Protocol: ProtocolAzure, APIKeyEnv: []string{"AZURE_AI_API_KEY"}, PrivacyPolicyURL: "https://privacy.microsoft.com/privacystatement"},
		litellm: []string{"azure_ai"}, prefixes: []string{"azure_ai/"}, paths: pathsAzure},
	{Provider: Provider{Slug: "baseten", Name: "Baseten", Protocol: ProtocolOpenAI, BaseURL: "https://inference.baseten.co/v1", APIKeyEnv: []string{"BASETEN_API_KEY"}},
		litellm: []string{"baseten"}, prefixes: []string{"baseten/"}},
	{Provider: Provider{Slug: "cerebras", Name: "Cerebras", Protocol: ProtocolOpenAI, BaseURL: "https://api.cerebras.ai/v1", APIKeyEnv: []string{"CEREBRAS_API_KEY"}, PrivacyPolicyURL: "https://www.cerebras.ai/privacy-policy"},
		litellm: []string{"cerebras"}, prefixes: []string{"cerebras/"}},
	{Provider: Provider{Slug: "cloudflare", Name: "Cloudflare Workers AI", Protocol: ProtocolOpenAI, APIKeyEnv: []string{"CLOUDFLARE_API_KEY", "CLOUDFLARE_API_TOKEN"}, PrivacyPolicyURL: "https://www.cloudflare.com/privacypolicy/"},
		litellm: []string{"cloudflare"}, prefixes: []string{"cloudflare/"}, variants: []string{"fast"}},
	{Provider: Provider{Slug: "codestral", Name: "Mistral Codestral", Protocol: ProtocolOpenAI, BaseURL: "https://codestral.mistral.ai/v1", APIKeyEnv: []string{"CODESTRAL_API_KEY"}, PrivacyPolicyURL: "https://mistral.ai/terms#privacy-policy"},
		litellm: []string{"codestral"}, prefixes: []string{"codestral/"}, author: "mistralai"},
	{Provider: Provider{Slug: "cohere", Name: "Cohere", Protocol: ProtocolCohere, BaseURL: "https://api.cohere.com/v2", APIKeyEnv: []string{"COHERE_API_KEY", "CO_API_KEY"}, PrivacyPolicyURL: "https://cohere.com/privacy"},
		litellm: []string{"cohere_chat"}, prefixes: []string{"cohere_chat/", "cohere/"}, author: "cohere"},
	{Provider: Provider{Slug: "crusoe", Name: "Crusoe", Protocol: ProtocolOpenAI, BaseURL: "https://managed-inference-api-proxy.crusoecloud.com/v1", APIKeyEnv: []string{"CRUSOE_API_KEY"}},
		litellm: []string{"crusoe"}, prefixes: []string{"crusoe/"}},
	{Provider: Provider{Slug: "darkbloom", Name: "Darkbloom", Protocol: ProtocolOpenAI, BaseURL: "https://api.darkbloom.dev/v1", APIKeyEnv: []string{"DARKBLOOM_API_KEY"}},
		litellm: []string{"darkbloom"}, prefixes: []string{"darkbloom/"}},
	{Provider: Provider{Slug: "databricks", Name: "Databricks", Protocol: ProtocolOpenAI, APIKeyEnv: []string{"DATABRICKS_API_KEY", "DATABRICKS_TOKEN"}},
		litellm: []string{"databricks"}, prefixes: []string{"databricks/"}},
	{Provider: Provider{Slug: "deepinfra", Name: "DeepInfra", Protocol: ProtocolOpenAI, BaseURL: "https://api.deepinfra.com/v1/openai", APIKeyEnv: []string{"DEEPINFRA_API_KEY", "DEEPINFRA_TOKEN"}, PrivacyPolicyURL: "https://deepinfra.com/privacy"},
		litellm: []string{"deepinfra"}, prefixes: []string{"deepinfra/"}, variants: []string{"turbo"}},
	{Provider: Provider{Slug: "deepseek", Name: "DeepSeek", Protocol: ProtocolOpenAI, BaseURL: "https://api.deepseek.com/v1", APIKeyEnv: []string{"DEEPSEEK_API_KEY"}, PrivacyPolicyURL: "https://cdn.deepseek.com/policies/en-US/deepseek-privacy-policy.html"},
		litellm: []string{"deepseek"}, prefixes: []string{"deepseek/"}, author: "deepseek"},
	{Provider: Provider{Slug: "digitalocean", Name: "DigitalOcean Gradient", Protocol: ProtocolOpenAI, BaseURL: "https://inference.do-ai.run/v1", APIKeyEnv: []string{"GRADIENT_AI_API_KEY"}},
		litellm: []string{"gradient_ai"}, prefixes: []string{"gradient_ai/"}},
	{Provider: Provider{Slug: "featherless", Name: "Featherless", Protocol: ProtocolOpenAI, BaseURL: "https://api.featherless.ai/v1", APIKeyEnv: []string{"FEATHERLESS_API_KEY"}},
		litellm: []string{"featherless_ai"}, prefixes: []string{"featherless_ai/"}},
	{Provider: Provider{Slug: "fireworks", Name: "Fireworks", Protocol: ProtocolOpenAI, BaseURL: "https://api.fireworks.ai/inference/v1", APIKeyEnv: []string{"FIREWORKS_API_KEY", "FIREWORKS_AI_API_KEY"}, PrivacyPolicyURL: "https://fireworks.ai/privacy-policy"},
		litellm: []string{"fireworks_ai"}, prefixes: []string{"fireworks_ai/"}, bareIsBase: true, variants: []string{"fast"}, pDecimals: true},
	{Provider: Provider{Slug: "friendli", Name: "Friendli", Protocol: ProtocolOpenAI, BaseURL: "https://api.friendli.ai/serverless/v1", APIKeyEnv: []string{"FRIENDLI_TOKEN", "FRIENDLIAI_API_KEY"}},
		litellm: []string{"friendliai"}, prefixes: []string{"friendliai/"}},
	{Provider: Provider{Slug: "gmicloud", Name: "GMI Cloud", Protocol: ProtocolOpenAI, BaseURL: "https://api.gmi-serving.com/v1", APIKeyEnv: []string{"GMI_API_KEY"}},
		litellm: []string{"gmi"}, prefixes: []string{"gmi/"}},
	{Provider: Provider{Slug: "google-ai-studio", Name: "Google AI Studio", Protocol: ProtocolGemini, BaseURL: "https://generativelanguage.googleapis.com/v1beta", APIKeyEnv: []string{"GEMINI_API_KEY", "GOOGLE_API_KEY"}, PrivacyPolicyURL: "https://policies.google.com/privacy"},
		litellm: []string{"gemini"}, prefixes: []string{"gemini/"}, author: "google"},
	{Provider: Provider{Slug: "google-vertex", Name: "Google Vertex AI", Protocol: ProtocolVertex, APIKeyEnv: []string{"GOOGLE_APPLICATION_CREDENTIALS"}, PrivacyPolicyURL: "https://cloud.google.com/terms/cloud-privacy-notice"},
		litellm:  []string{"vertex_ai", "vertex_ai-language-models", "vertex_ai-anthropic_models", "vertex_ai-ai21_models", "vertex_ai-deepseek_models", "vertex_ai-llama_models", "vertex_ai-minimax_models", "vertex_ai-mistral_models", "vertex_ai-moonshot_models", "vertex_ai-openai_models", "vertex_ai-qwen_models", "vertex_ai-zai_models"},
		prefixes: []string{"vertex_ai/"}, author: "google"},
	{Provider: Provider{Slug: "groq", Name: "Groq", Protocol: ProtocolOpenAI, BaseURL: "https://api.groq.com/openai/v1", APIKeyEnv: []string{"GROQ_API_KEY"}, PrivacyPolicyURL: "https://groq.com/privacy-policy/"},
		litellm: []string{"groq"}, prefixes: []string{"groq/"}},
	{Provider: Provider{Slug: "heroku", Name: "Heroku Managed Inference", Protocol: ProtocolOpenAI, BaseURL: "https://us.inference.heroku.com/v1", APIKeyEnv: []string{"INFERENCE_KEY"}},
		litellm: []string{"heroku"}, prefixes: []string{"heroku/"}},
	{Provider: Provider{Slug: "hyperbolic", Name: "Hyperbolic", Protocol: ProtocolOpenAI, BaseURL: "https://api.hyperbolic.xyz/v1", APIKeyEnv: []string{"HYPERBOLIC_API_KEY"}},
		litellm: []string{"hyperbolic"}, prefixes: []string{"hyperbolic/"}},
	{Provider: Provider{Slug: "inception", Name: "Inception", Protocol: ProtocolOpenAI, BaseURL: "https://api.inceptionlabs.ai/v1", APIKeyEnv: []string{"INCEPTION_API_KEY"}},
		litellm: []string{"inception"}, prefixes: []string{"inception/"}, author: "inception"},
	{Provider: Provider{Slug: "lambda", Name: "Lambda", Protocol: ProtocolOpenAI, BaseURL: "https://api.lambda.ai/v1", APIKeyEnv: []string{"LAMBDA_API_KEY"}},
		litellm: []string{"lambda_ai"}, prefixes: []string{"lambda_ai/"}},
	{Provider: Provider{Slug: "lemonade", Name: "Lemonade (local)", Protocol: ProtocolOpenAI, BaseURL: "http://localhost:8000/api/v1"},
		litellm: []string{"lemonade"}, prefixes: []string{"lemonade/"}},
	{Provider: Provider{Slug: "libertai", Name: "LibertAI", Protocol: ProtocolOpenAI, BaseURL: "https://api.libertai.io/v1", APIKeyEnv: []string{"LIBERTAI_API_KEY"}},
		litellm: []string{"libertai"}, prefixes: []string{"libertai/"}, variants: []string{"tee"}},
	{Provider: Provider{Slug: "llama-api", Name: "Meta Llama API", Protocol: ProtocolOpenAI, BaseURL: "https://api.llama.com/compat/v1", APIKeyEnv: []string{"LLAMA_API_KEY"}},
		litellm: []string{"meta_llama"}, prefixes: []string{"meta_llama/"}, author: "meta-llama"},
	{Provider: Provider{Slug: "llamagate", Name: "LlamaGate", Protocol: ProtocolOpenAI, BaseURL: "https://api.llamagate.dev/v1", APIKeyEnv: []string{"LLAMAGATE_API_KEY"}},
		litellm: []string{"llamagate"}, prefixes: []string{"llamagate/"}},
	{Provider: Provider{Slug: "meta", Name: "Meta", Protocol: ProtocolOpenAI, BaseURL: "https://api.meta.ai/v1", APIKeyEnv: []string{"META_API_KEY"}},
		litellm: []string{"meta"}, prefixes: []string{"meta/"}, author: "meta"},
	{Provider: Provider{Slug: "minimax", Name: "MiniMax", Protocol: ProtocolOpenAI, BaseURL: "https://api.minimax.io/v1", APIKeyEnv: []string{"MINIMAX_API_KEY"}},
		litellm: []string{"minimax"}, prefixes: []string{"minimax/"}, author: "minimax"},
	{Provider: Provider{Slug: "mistral", Name: "Mistral", Protocol: ProtocolOpenAI, BaseURL: "https://api.mistral.ai/v1", APIKeyEnv: []string{"MISTRAL_API_KEY"}, PrivacyPolicyURL: "https://mistral.ai/terms#privacy-policy"},
		litellm: []string{"mistral"}, prefixes: []string{"mistral/"}, author: "mistralai"},
	{Provider: Provider{Slug: "moonshotai", Name: "Moonshot AI", Protocol: ProtocolOpenAI, BaseURL: "https://api.moonshot.ai/v1", APIKeyEnv: []string{"MOONSHOT_API_KEY"}},
		litellm: []string{"moonshot"}, prefixes: []string{"moonshot/"}, author: "moonshotai"},
	{Provider: Provider{Slug: "morph", Name: "Morph", Protocol: ProtocolOpenAI, BaseURL: "https://api.morphllm.com/v1", APIKeyEnv: []string{"MORPH_API_KEY"}},
		litellm: []string{"morph"}, prefixes: []string{"morph/"}, author: "morph"},
	{Provider: Provider{Slug: "nebius", Name: "Nebius AI Studio", Protocol: ProtocolOpenAI, BaseURL: "https://api.studio.nebius.ai/v1", APIKeyEnv: []string{"NEBIUS_API_KEY"}},
		litellm: []string{"nebius"}, prefixes: []string{"nebius/"}},
	{Provider: Provider{Slug: "novita", Name: "NovitaAI", Protocol: ProtocolOpenAI, BaseURL: "https://api.novita.ai/v3/openai", APIKeyEnv: []string{"NOVITA_API_KEY"}},
		litellm: []string{"novita"}, prefixes: []string{"novita/"}, variants: []string{"turbo"}},
	{Provider: Provider{Slug: "nscale", Name: "Nscale", Protocol: ProtocolOpenAI, BaseURL: "https://inference.api.nscale.com/v1", APIKeyEnv: []string{"NSCALE_API_KEY"}},
		litellm: []string{"nscale"}, prefixes: []string{"nscale/"}},
	{Provider: Provider{Slug: "oci", Name: "Oracle Cloud Generative AI", Protocol: ProtocolOpenAI, BaseURL: "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com/20231130/actions/v1", APIKeyEnv: []string{"OCI_GENAI_API_KEY"}},
		litellm: []string{"oci"}, prefixes: []string{"oci/"}, dotVendor: true},
	{Provider: Provider{Slug: "ollama", Name: "Ollama", Protocol: ProtocolOllama, BaseURL: "http://localhost:11434", APIKeyEnv: []string{"OLLAMA_API_KEY"}},
		litellm: []string{"ollama"}, prefixes: []string{"ollama/"}},
	{Provider: Provider{Slug: "openai", Name: "OpenAI", Protocol: ProtocolOpenAI, BaseURL: "https://api.openai.com/v1", APIKeyEnv: []string{"OPENAI_API_KEY"}, PrivacyPolicyURL: "https://openai.com/policies/privacy-policy/"},
		litellm: []string{"openai"}, prefixes: []string{"openai/"}, author: "openai"},
	{Provider: Provider{Slug: "openrouter", Name: "OpenRouter", Protocol: ProtocolOpenAI, BaseURL: "https://openrouter.ai/api/v1", APIKeyEnv: []string{"OPENROUTER_API_KEY"}, PrivacyPolicyURL: "https://openrouter.ai/privacy"},
		litellm: []string{"openrouter"}, prefixes: []string{"openrouter/"}},
	{Provider: Provider{Slug: "ovhcloud", Name: "OVHcloud AI Endpoints", Protocol: ProtocolOpenAI, BaseURL: "https://oai.endpoints.kepler.ai.cloud.ovh.net/v1", APIKeyEnv: []string{"OVHCLOUD_API_KEY"}},
		litellm: []string{"ovhcloud"}, prefixes: []string{"ovhcloud/"}},
	{Provider: Provider{Slug: "perplexity", Name: "Perplexity", Protocol: ProtocolOpenAI, BaseURL: "https://api.perplexity.ai", APIKeyEnv: []string{"PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY"}, PrivacyPolicyURL: "https://www.perplexity.ai/hub/legal/privacy-policy"},
		litellm: []string{"perplexity"}, prefixes: []string{"perplexity/"}, author: "perplexity"},
	{Provider: Provider{Slug: "pinstripes", Name: "Pinstripes", Protocol: ProtocolOpenAI, BaseURL: "https://pinstripes.io/v1", APIKeyEnv: []string{"PINSTRIPES_API_KEY"}},
		litellm: []string{"pinstripes"}, prefixes: []string{"pinstripes/"}},
	{Provider: Provider{Slug: "publicai", Name: "Public AI", Protocol: ProtocolOpenAI, BaseURL: "https://api.publicai.co/v1", APIKeyEnv: []string{"PUBLICAI_API_KEY"}},
		litellm: []string{"publicai"}, prefixes: []string{"publicai/"}},
	{Provider: Provider{Slug: "replicate", Name: "Replicate", Protocol: ProtocolOpenAI, BaseURL: "https://openai-proxy.replicate.com/v1", APIKeyEnv: []string{"REPLICATE_API_TOKEN", "REPLICATE_API_KEY"}, PrivacyPolicyURL: "https://replicate.com/privacy"},
		litellm: []string{"replicate"}, prefixes: []string{"replicate/"}, bareIsBase: true},
	{Provider: Provider{Slug: "sambanova", Name: "SambaNova", Protocol: ProtocolOpenAI, BaseURL: "https://api.sambanova.ai/v1", APIKeyEnv: []string{"SAMBANOVA_API_KEY"}},
		litellm: []string{"sambanova"}, prefixes: []string{"sambanova/"}},
	{Provider: Provider{Slug: "sarvam", Name: "Sarvam AI", Protocol: ProtocolOpenAI, BaseURL: "https://api.sarvam.ai/v1", APIKeyEnv: []string{"SARVAM_API_KEY"}},
		litellm: []string{"sarvam"}, prefixes: []string{"sarvam/"}, author: "sarvamai"},
	{Provider: Provider{Slug: "scaleway", Name: "Scaleway", Protocol: ProtocolOpenAI, BaseURL: "https://api.scaleway.ai/v1", APIKeyEnv: []string{"SCW_SECRET_KEY"}},
		litellm: []string{"scaleway"}, prefixes: []string{"scaleway/"}},
	{Provider: Provider{Slug: "snowflake", Name: "Snowflake Cortex", Protocol: ProtocolOpenAI, APIKeyEnv: []string{"SNOWFLAKE_JWT"}},
		litellm: []string{"snowflake"}, prefixes: []string{"snowflake/"}, author: "snowflake"},
	{Provider: Provider{Slug: "tencent", Name: "Tencent TokenHub", Protocol: ProtocolOpenAI, BaseURL: "https://tokenhub-intl.tencentcloudmaas.com/v1", APIKeyEnv: []string{"TENCENT_API_KEY"}},
		litellm: []string{"tencent"}, prefixes: []string{"tencent/"}},
	{Provider: Provider{Slug: "tensormesh", Name: "Tensormesh", Protocol: ProtocolOpenAI, BaseURL: "https://serverless.tensormesh.ai/v1", APIKeyEnv: []string{"TENSORMESH_API_KEY"}},
		litellm: []string{"tensormesh"}, prefixes: []string{"tensormesh/"}},
	{Provider: Provider{Slug: "together", Name: "Together", Protocol: ProtocolOpenAI, BaseURL: "https://api.together.xyz/v1", APIKeyEnv: []string{"TOGETHER_API_KEY", "TOGETHERAI_API_KEY"}, PrivacyPolicyURL: "https://www.together.ai/privacy"},
		litellm: []string{"together_ai"}, prefixes: []string{"together_ai/"}, variants: []string{"turbo", "tput"}},
	{Provider: Provider{Slug: "v0", Name: "Vercel v0", Protocol: ProtocolOpenAI, BaseURL: "https://api.v0.dev/v1", APIKeyEnv: []string{"V0_API_KEY"}},
		litellm: []string{"v0"}, prefixes: []string{"v0/"}, author: "vercel"},
	{Provider: Provider{Slug: "vercel", Name: "Vercel AI Gateway", Protocol: ProtocolOpenAI, BaseURL: "https://ai-gateway.vercel.sh/v1", APIKeyEnv: []string{"AI_GATEWAY_API_KEY", "VERCEL_AI_GATEWAY_API_KEY"}, PrivacyPolicyURL: "https://vercel.com/legal/privacy-policy"},
		litellm: []string{"vercel_ai_gateway"}, prefixes: []string{"vercel_ai_gateway/"}},
	{Provider: Provider{Slug: "volcengine", Name: "Volcano Engine", Protocol: ProtocolOpenAI, BaseURL: "https://ark.cn-beijing.volces.com/api/v3", APIKeyEnv: []string{"ARK_API_KEY", "VOLCENGINE_API_KEY"}},
		litellm: []string{"volcengine"}, prefixes: []string{"volcengine/"}, author: "bytedance", yymmdd: true},
	{Provider: Provider{Slug: "wandb", Name: "W&B Inference", Protocol: ProtocolOpenAI, BaseURL: "https://api.inference.wandb.ai/v1", APIKeyEnv: []string{"WANDB_API_KEY"}},
		litellm: []string{"wandb"}, prefixes: []string{"wandb/"}},
	{Provider: Provider{Slug: "xai", Name: "xAI", Protocol: ProtocolOpenAI, BaseURL: "https://api.x.ai/v1", APIKeyEnv: []string{"XAI_API_KEY"}, PrivacyPolicyURL: "https://x.ai/legal/privacy-policy"},
		litellm: []string{"xai"}, prefixes: []string{"xai/"}, author: "x-ai"},
	{Provider: Provider{Slug: "z-ai", Name: "Z.ai", Protocol: ProtocolOpenAI, BaseURL: "https://api.z.ai/api/paas/v4", APIKeyEnv: []string{"ZAI_API_KEY"}},
		litellm: []string{"zai"}, prefixes: []string{"zai/"}, author: "z-ai"},
}

// firstParty maps a model author to the provider that is its own API. It
// only decides whose spelling of a dated snapshot becomes the canonical slug.
var firstParty = map[string]string{
	"ai21":       "ai21",
	"anthropic":  "anthropic",
	"cohere":     "cohere",
	"deepseek":   "deepseek",
	"google":     "google-ai-studio",
	"minimax":    "minimax",
	"mistralai":  "mistral",
	"moonshotai": "moonshotai",
	"openai":     "openai",
	"qwen":       "alibaba",
	"x-ai":       "xai",
	"z-ai":       "z-ai",
}

// specIndex returns the provider table keyed by litellm_provider.
func specIndex() map[string]*providerSpec {
	idx := make(map[string]*providerSpec, len(providerSpecs)*2)
	for i := range providerSpecs {
		for _, name := range providerSpecs[i].litellm {
			idx[name] = &providerSpecs[i]
		}
	}
	return idx
}

// hasVariant reports whether word marks a serving variant at this provider.
func (s *providerSpec) hasVariant(word string) bool {
	for _, v := range s.variants {
		if v == word {
			return true
		}
	}
	return false
}
