package router

import (
	"encoding/json"
	"math/bits"
	"slices"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// paramSet is a set of request parameters, one bit per vocabulary entry.
type paramSet uint64

// vocabulary is the supported_parameters vocabulary routing checks: what
// an endpoint declares and a request may use. Names outside it (user,
// service_tier, metadata, …) are never routed on.
var vocabulary = [...]string{
	"tools", "tool_choice", "parallel_tool_calls", "response_format", "structured_outputs",
	"reasoning", "include_reasoning", "max_tokens", "temperature", "top_p", "top_k", "min_p", "top_a",
	"frequency_penalty", "presence_penalty", "repetition_penalty", "stop", "seed", "logit_bias",
	"logprobs", "top_logprobs", "web_search_options", "verbosity", "prediction",
	imageInputName,
}

// imageInputName is the pseudo parameter of image inputs (image_url
// parts): endpoints support it when their model takes images and their
// adapter translates them.
const imageInputName = "image input"

// aliases are request parameters an endpoint supports under another name.
var aliases = [...]struct{ request, endpoint string }{
	{"max_completion_tokens", "max_tokens"},
	{"reasoning_effort", "reasoning"},
}

func paramBit(name string) paramSet {
	i := slices.Index(vocabulary[:], name)
	if i < 0 {
		panic("router: " + name + " is not in the parameter vocabulary")
	}
	return 1 << i
}

var (
	pTools             = paramBit("tools")
	pToolChoice        = paramBit("tool_choice")
	pResponseFormat    = paramBit("response_format")
	pStructuredOutputs = paramBit("structured_outputs")
	pReasoning         = paramBit("reasoning")
	pImages            = paramBit(imageInputName)

	// softParams are the capabilities preferred even without
	// require_parameters: endpoints lacking one the request uses go to
	// the back, unless no endpoint has it.
	softParams = pTools | pToolChoice | pResponseFormat | pStructuredOutputs | pReasoning | pImages
)

// names lists the parameters of s, in vocabulary order.
func (s paramSet) names() []string {
	var out []string
	for ; s != 0; s &= s - 1 {
		out = append(out, vocabulary[bits.TrailingZeros64(uint64(s))])
	}
	return out
}

func (s paramSet) String() string { return strings.Join(s.names(), ", ") }

// endpointSupports is the set of parameters an endpoint honours: its
// declared supported_parameters, and image inputs when the model takes
// images and the adapter (if it declares its capabilities) translates them.
func endpointSupports(m *catalog.Model, e *catalog.Endpoint, client provider.Provider) paramSet {
	var s paramSet
	for _, name := range e.SupportedParameters {
		if i := slices.Index(vocabulary[:], name); i >= 0 {
			s |= 1 << i
		}
	}
	if slices.Contains(m.InputModalities, "image") {
		images := true
		switch d := client.(type) {
		case provider.ModelDescriber:
			images = d.ModelCapabilities(e.UpstreamModel).Images
		case provider.Describer:
			images = d.Capabilities().Images
		}
		if images {
			s |= pImages
		}
	}
	return s
}

// need is what a request asks of an endpoint, computed once per decision.
type need struct {
	// promptTokens is the estimated prompt size: four bytes per token of
	// the messages' text, tool calls and tool definitions.
	promptTokens int64
	// maxOutput is the requested output cap (0: none); expectedOutput the
	// output assumed for the expected cost.
	maxOutput, expectedOutput int64
	images                    int64
	// soft are the soft parameters the request uses; all every parameter
	// it uses, computed only for require_parameters.
	soft, all paramSet
}

// defaultExpectedOutput is the output assumed for a request's expected
// cost when it sets no max_tokens.
const defaultExpectedOutput = 256

// analyze measures req without allocating.
func analyze(req *openai.ChatRequest) need {
	var n need
	bytes := 0
	for i := range req.Messages {
		m := &req.Messages[i]
		bytes += len(m.Content.Text) + len(m.Reasoning)
		for j := range m.Content.Parts {
			p := &m.Content.Parts[j]
			bytes += len(p.Text)
			if p.Type == "image_url" {
				n.images++
			}
		}
		for j := range m.ToolCalls {
			bytes += len(m.ToolCalls[j].Function.Name) + len(m.ToolCalls[j].Function.Arguments)
		}
	}
	for i := range req.Tools {
		if f := req.Tools[i].Function; f != nil {
			bytes += len(f.Name) + len(f.Description) + len(f.Parameters)
		}
	}
	n.promptTokens = int64(bytes / 4)
	n.maxOutput = int64(max(req.MaxOutputTokens(), 0))
	n.expectedOutput = n.maxOutput
	if n.expectedOutput == 0 {
		n.expectedOutput = defaultExpectedOutput
	}
	n.soft = softUses(req, n.images > 0)
	if req.Provider != nil && req.Provider.RequireParameters {
		n.all = allUses(req, n.soft)
	}
	return n
}

func softUses(req *openai.ChatRequest, images bool) paramSet {
	var s paramSet
	if openai.HasParameter(req, "tools") {
		s |= pTools
	}
	if openai.HasParameter(req, "tool_choice") {
		s |= pToolChoice
	}
	if openai.HasParameter(req, "response_format") {
		s |= pResponseFormat
		if responseFormatType(req.ResponseFormat) == "json_schema" {
			s |= pStructuredOutputs
		}
	}
	if openai.HasParameter(req, "reasoning") || openai.HasParameter(req, "reasoning_effort") {
		s |= pReasoning
	}
	if images {
		s |= pImages
	}
	return s
}

// allUses adds to soft every other vocabulary parameter req uses.
func allUses(req *openai.ChatRequest, soft paramSet) paramSet {
	s := soft
	for i, name := range vocabulary {
		if bit := paramSet(1) << i; bit&softParams == 0 && openai.HasParameter(req, name) {
			s |= bit
		}
	}
	for _, a := range aliases {
		if openai.HasParameter(req, a.request) {
			s |= paramBit(a.endpoint)
		}
	}
	return s
}

func responseFormatType(raw json.RawMessage) string {
	var rf struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(raw, &rf) != nil {
		return ""
	}
	return rf.Type
}
