package openaicompat

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/provider"
)

// AzureAPIVersion is the api-version sent to Azure OpenAI's deployment API
// when the base URL does not name one: the latest GA version.
const AzureAPIVersion = "2024-10-21"

// azureQuirks are OpenAI's: Azure serves OpenAI's models.
var azureQuirks = Quirks{Drop: samplingExtras, Cap: CapMaxCompletionTokens}

// NewAzure returns an Adapter for an Azure OpenAI resource (protocol
// "azure"). It is a provider.Factory. Azure speaks OpenAI's Chat
// Completions and differs only in its URL and its credential header
// (api-key instead of Authorization: Bearer).
//
// cfg.BaseURL selects the API:
//
//   - a URL containing /openai/v1, such as
//     https://myres.openai.azure.com/openai/v1, is Azure's v1 API: requests
//     go to {BaseURL}/chat/completions with the deployment as the body's
//     model, and no api-version;
//   - any other URL is the resource endpoint, such as
//     https://myres.openai.azure.com: requests go to
//     {endpoint}/openai/deployments/{UpstreamModel}/chat/completions with
//     the api-version of the base URL's api-version query parameter, else
//     AzureAPIVersion.
func NewAzure(cfg provider.Config) (provider.Provider, error) {
	u, err := parseBase(cfg.Slug, cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	var ep endpoint
	if strings.Contains(u.Path, "/openai/v1") {
		v1 := *u
		v1.RawQuery, v1.Fragment = "", ""
		ep = fixedEndpoint(strings.TrimRight(v1.String(), "/") + "/chat/completions")
	} else {
		ep = azureDeployment(u)
	}
	return assemble(cfg, azureQuirks, ep, "api-key", ""), nil
}

// azureDeployment is the endpoint of Azure's deployment API on the
// resource endpoint base, whose query may carry the api-version.
func azureDeployment(base *url.URL) endpoint {
	version := base.Query().Get("api-version")
	if version == "" {
		version = AzureAPIVersion
	}
	root := *base
	root.RawQuery, root.Fragment = "", ""
	prefix := strings.TrimRight(root.String(), "/") + "/openai/deployments/"
	query := "/chat/completions?" + url.Values{"api-version": {version}}.Encode()
	return func(model string) (string, error) {
		if model == "" {
			return "", errors.New("openaicompat: azure: no deployment (upstream model) to send the request to")
		}
		return fmt.Sprintf("%s%s%s", prefix, url.PathEscape(model), query), nil
	}
}
