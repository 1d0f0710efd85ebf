package openai

// HasParameter reports whether r sets the request parameter named as in
// OpenRouter's supported_parameters vocabulary (temperature, top_k,
// logit_bias, …). Unknown names report false.
func HasParameter(r *ChatRequest, name string) bool {
	switch name {
	case "temperature":
		return r.Temperature != nil
	case "top_p":
		return r.TopP != nil
	case "top_k":
		return r.TopK != nil
	case "min_p":
		return r.MinP != nil
	case "top_a":
		return r.TopA != nil
	case "frequency_penalty":
		return r.FrequencyPenalty != nil
	case "presence_penalty":
		return r.PresencePenalty != nil
	case "repetition_penalty":
		return r.RepetitionPenalty != nil
	case "max_tokens":
		return r.MaxTokens != nil
	case "max_completion_tokens":
		return r.MaxCompletionTokens != nil
	case "logit_bias":
		return len(r.LogitBias) > 0
	case "logprobs":
		return r.Logprobs != nil && *r.Logprobs
	case "top_logprobs":
		return r.TopLogprobs != nil
	case "seed":
		return r.Seed != nil
	case "stop":
		return len(r.Stop) > 0 && string(r.Stop) != "null"
	case "n":
		return r.N != nil && *r.N > 1
	case "prediction":
		return len(r.Prediction) > 0
	case "response_format":
		return len(r.ResponseFormat) > 0
	case "tools":
		return len(r.Tools) > 0
	case "tool_choice":
		return len(r.ToolChoice) > 0
	case "parallel_tool_calls":
		return r.ParallelToolCalls != nil
	case "reasoning":
		return len(r.Reasoning) > 0
	case "reasoning_effort":
		return r.ReasoningEffort != ""
	case "include_reasoning":
		return r.IncludeReasoning != nil
	case "web_search_options":
		return len(r.WebSearchOptions) > 0
	case "verbosity":
		return r.Verbosity != ""
	case "service_tier":
		return r.ServiceTier != ""
	case "user":
		return r.User != ""
	}
	return false
}
